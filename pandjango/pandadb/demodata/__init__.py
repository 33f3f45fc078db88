"""A realistic, deterministic PanDA database for the demo, the tests and the benchmarks: one generator per family of tables.

The same seed and reference time give the same rows. Jobs sit in the table their state
belongs to (PANDA-SCHEMA.md); times are consistent (creation <= start <= end <= modification,
nothing starts after the reference time, a pilot starts before its job); a task in a final
state (done, finished, failed, broken, aborted) has only jobs that ended;
about 10% of finished jobs fail with a code of the right component and its diag. Queues are
SCHEDCONFIG_JSON documents with the keys real ones have (plus one with keys missing and, where
the column is text, one of broken JSON); pilots are Harvester workers in their real statuses,
linked to their jobs by HARVESTER_REL_JOBS_WORKERS and by the jobs' SCHEDULERID, PILOTID and
BATCHID; a few finished jobs sit in both JOBSARCHIVED4 and the archive, as during PanDA's
daily copy. Each job has its files (inputs, an output, a log) in FILESTABLE4, or in the
archive's FILESTABLE_ARCH, finished analysis jobs their metadata in METATABLE, and each task
its parameters in JEDI_TASKPARAMS. These are derived from the other rows without drawing
from the random generator, so adding them left every other row as it was.

`static.generate_static` draws the queues (`queues`), the reference tables (`reference`) and
the tasks (`tasks`); `jobs.generate_jobs` then each job with its files and metadata (`files`)
and its pilot (`workers`), from the made-up world of `catalogue`.
"""
