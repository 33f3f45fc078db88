"""A job's files (FILESTABLE4, FILESTABLE_ARCH) and its metadata (METATABLE), derived from its row without drawing from the random generator."""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any


def _scope(task: dict[str, Any]) -> str:
    name = task["taskname"]
    return ".".join(name.split(".")[:2]) if name.startswith("user.") else name.split(".")[0]


def job_files(job: dict[str, Any], task: dict[str, Any], first_row_id: int) -> list[dict[str, Any]]:
    """The job's rows of FILESTABLE4: up to three inputs of the task's input dataset, one
    output and the log, with the job's MODIFICATIONTIME (PanDA's partition key)."""
    name = task["taskname"].rstrip("/")
    scope = _scope(task)
    pandaid, jeditaskid = job["pandaid"], job["jeditaskid"]
    final = job["jobstatus"] in ("finished", "failed", "cancelled", "closed")
    out_status = {"finished": "ready", "failed": "failed", "cancelled": "failed", "closed": "failed"}.get(job["jobstatus"], "unknown")
    files: list[tuple[str, str, str, int, str]] = []
    for n in range(min(job["ninputfiles"] or 1, 3)):
        number = (pandaid * 3 + n) % 100000
        files.append(("input", f"{name}.input", f"EVNT.{jeditaskid}._{number:06d}.pool.root.1", jeditaskid * 10, "ready"))
    files.append(("output", f"{name}.output", f"{name}.{pandaid}._000001.root", jeditaskid * 10 + 1, out_status))
    files.append(("log", f"{name}.log", f"{name}.log.{pandaid}.log.tgz", jeditaskid * 10 + 2, "ready" if final else "unknown"))
    rows = []
    for i, (kind, dataset, lfn, datasetid, status) in enumerate(files):
        rows.append({
            "row_id": first_row_id + i, "pandaid": pandaid, "modificationtime": job["modificationtime"],
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}:{lfn}")), "lfn": lfn, "type": kind,
            "dataset": dataset, "status": status, "proddblock": job["proddblock"] if kind == "input" else None,
            "dispatchdblock": f"panda.{jeditaskid}.{pandaid % 1000}.dis" if kind == "input" else None,
            "destinationdblock": None if kind == "input" else f"{dataset}_sub{pandaid % 10**8:08d}",
            "destinationse": None if kind == "input" else job["destinationse"],
            "fsize": (job["inputfilebytes"] // 3 if kind == "input" else zlib.crc32(lfn.encode()) % 10**9 + 10**5),
            "checksum": f"ad:{zlib.crc32(lfn.encode()):08x}", "scope": scope, "jeditaskid": jeditaskid,
            "datasetid": datasetid, "fileid": pandaid * 10 + i, "attemptnr": job["attemptnr"],
            "creationtime": job["creationtime"],
        })
    return rows


def job_metadata(job: dict[str, Any], task: dict[str, Any]) -> dict[str, Any] | None:
    """METATABLE's row for a finished analysis job: the userMetadata.json its payload wrote."""
    if job["jobstatus"] != "finished" or task["prodsourcelabel"] != "user":
        return None
    document = {"user_job_metadata": {"nevents": job["nevents"], "nfiles": min(job["ninputfiles"] or 1, 3)}}
    return {"pandaid": job["pandaid"], "modificationtime": job["modificationtime"], "metadata": json.dumps(document)}
