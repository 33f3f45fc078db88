"""The reference tables: HARVESTER_INSTANCES (the last one stale), RESOURCE_TYPES and ERROR_DESCRIPTIONS."""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta

from .. import errorcodes
from .catalogue import HARVESTER_INSTANCES, RESOURCE_TYPES, DemoData


def harvester_and_reference(data: DemoData, rnd: random.Random, now: datetime) -> None:
    for i, (harvester_id, (host, owner, version)) in enumerate(HARVESTER_INSTANCES.items()):
        stale = i == len(HARVESTER_INSTANCES) - 1
        data.add("HARVESTER_INSTANCES", {
            "harvester_id": harvester_id, "description": f"Harvester on {host}", "owner": owner, "hostname": host,
            "starttime": now - timedelta(days=rnd.randint(2, 40)),
            "lastupdate": now - (timedelta(days=rnd.randint(2, 9)) if stale else timedelta(seconds=rnd.randint(10, 240))),
            "sw_version": version, "commit_stamp": f"{version}-{zlib.crc32(harvester_id.encode()):08x}",
        })
    for name, (mincore, maxcore, minram, maxram) in RESOURCE_TYPES.items():
        data.add("RESOURCE_TYPES", {"resource_name": name, "mincore": mincore, "maxcore": maxcore, "minrampercore": minram, "maxrampercore": maxram})
    ident = 0
    for component, codes in errorcodes.CODES.items():
        for code, text in sorted(codes.items()):
            ident += 1
            data.add("ERROR_DESCRIPTIONS", {
                "id": ident, "component": errorcodes.TABLE_COMPONENT.get(component, component), "code": code, "acronym": text.upper().replace(" ", "_")[:64],
                "diagnostics": text, "description": text, "category": 0,
            })
