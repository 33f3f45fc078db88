"""The demo's made-up world: clouds and their sites, Harvester instances, users, releases, the job states' tables; its Queue and the DemoData rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import dates

UNSET = dates.UNSET.replace(tzinfo=None)  # demo dates are naive UTC, made aware on insert

CLOUDS: dict[str, tuple[str, list[str]]] = {
    # cloud: (tier-1 site, other sites)
    "CA": ("TRIUMF", ["SFU", "MCGILL", "UVIC", "TORONTO"]),
    "CERN": ("CERN-PROD", ["CERN-P1", "CERN-TZERO"]),
    "DE": ("FZK", ["DESY-HH", "LRZ-LMU", "MPPMU", "GOEGRID", "WUPPERTAL"]),
    "ES": ("PIC", ["IFIC", "IFAE", "UAM"]),
    "FR": ("IN2P3-CC", ["GRIF-LAL", "LAPP", "LPSC", "CPPM"]),
    "IT": ("INFN-T1", ["INFN-MILANO", "INFN-NAPOLI", "INFN-ROMA1", "INFN-FRASCATI"]),
    "ND": ("NDGF-T1", ["ARC-BERGEN", "SIGNET"]),
    "NL": ("SARA-MATRIX", ["NIKHEF-ELPROD", "TECHNION"]),
    "RU": ("RRC-KI-T1", ["JINR", "IHEP", "ITEP", "PNPI"]),
    "TW": ("TAIWAN-LCG2", ["TW-FTT", "AU-ATLAS"]),
    "UK": ("RAL-LCG2", ["UKI-NORTHGRID-MAN-HEP", "UKI-SCOTGRID-GLASGOW", "UKI-LT2-QMUL", "UKI-SOUTHGRID-OX-HEP"]),
    "US": ("BNL-ATLAS", ["AGLT2", "MWT2", "SWT2_CPB", "NET2", "SLAC", "OU_OSCER"]),
}
CLOUD_NAMES = sorted(CLOUDS)
COUNTRIES = {
    "CA": "Canada", "CERN": "Switzerland", "DE": "Germany,Poland,Czechia", "ES": "Spain,Portugal",
    "FR": "France,Romania,Japan", "IT": "Italy", "ND": "Norway,Sweden,Denmark,Slovenia",
    "NL": "Netherlands,Israel", "RU": "Russia", "TW": "Taiwan,Australia",
    "UK": "United Kingdom", "US": "United States",
}
# Harvester instances: id -> (host, owner, version); the last one has stopped reporting.
HARVESTER_INSTANCES = {
    "CERN_central_A": ("aipanda171.cern.ch", "atlpan", "0.5.14"),
    "CERN_central_B": ("aipanda172.cern.ch", "atlpan", "0.5.14"),
    "CERN_central_k8s": ("harvester-k8s-01.cern.ch", "atlpan", "0.5.13"),
    "BNL_harvester": ("gridgk08.racf.bnl.gov", "usatlas1", "0.5.12"),
    "cern_cloud_old": ("aipanda160.cern.ch", "atlpan", "0.4.9"),
}
SUBMISSIONHOSTS = ["aipanda171", "aipanda172", "aipanda173", "gridgk08", "harvester-k8s-01"]
RESOURCE_TYPES = {
    # name: (mincore, maxcore, minrampercore, maxrampercore)
    "SCORE": (1, 1, 0, 2000), "MCORE": (2, None, 0, 2000),
    "SCORE_HIMEM": (1, 1, 2001, None), "MCORE_HIMEM": (2, None, 2001, None),
}
PILOT_VERSION = "3.9.2.41"
USERS = [
    "jdoe", "asmith", "mmueller", "lrossi", "pdupont", "kwong", "yivanov", "sgarcia", "tnakamura",
    "olsson", "rkowalski", "bchen", "ahernandez", "fbianchi", "dkim", "jnovak", "emartin", "vpetrov",
    "hlee", "gfischer",
]
PROD_USERS = ["atlas-dpd-production", "gangarbt", "atlas-mc-production"]
TRANSFORMATIONS = {
    "managed": ["Reco_tf.py", "Sim_tf.py", "Derivation_tf.py", "EVNTtoHITS_tf.py", "Merge_tf.py"],
    "user": ["runGen-00-00-02", "runAthena-00-00-12", "buildJob-00-00-03"],
    "panda": ["runAthena-00-00-12"],
    "ptest": ["Sim_tf.py"],
    "prod_test": ["Reco_tf.py"],
    "rc_test": ["runAthena-00-00-12"],
    "install": ["installPackage.py"],
}
PROCESSINGTYPES = {"managed": ["simul", "reprocessing", "evgen", "merge", "deriv"], "user": ["panda-client-1.5-jedi-run"]}
RELEASES = ["Athena 24.0.23", "Athena 23.0.41", "AthSimulation 21.0.15", "AnalysisBase 25.2.12"]
CAMPAIGNS = ["MC23a", "MC23c", "data24", "MC21a", "group"]

LABEL_WEIGHTS = [("managed", 60), ("user", 30), ("panda", 3), ("ptest", 3), ("prod_test", 1), ("rc_test", 1), ("install", 2)]
# Where an unfinished job is, by how far along it is.
WAITING_STATES = ["pending", "defined", "assigned", "waiting", "activated", "throttled"]
RUNNING_STATES = ["sent", "starting", "running", "running", "running", "holding", "transferring", "merging"]
# JEDI's task states after which a task runs no more jobs.
FINAL_TASK_STATES = frozenset({"done", "finished", "failed", "broken", "aborted"})
TABLE_OF_STATE = {
    "pending": "defined", "defined": "defined", "assigned": "defined", "waiting": "defined",
    "activated": "active", "throttled": "active", "sent": "active", "starting": "active",
    "running": "active", "holding": "active", "transferring": "active", "merging": "active",
    "finished": "archived", "failed": "archived", "cancelled": "archived", "closed": "archived",
}


@dataclass
class Queue:
    nickname: str
    siteid: str
    cloud: str
    tier: str
    status: str
    is_analysis: bool
    corecount: int
    harvester: str = ""


@dataclass
class DemoData:
    """Every generated row, by table (names as in PANDA-SCHEMA.md)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
