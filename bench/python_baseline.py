#!/usr/bin/env python3
"""The Python baseline of sync_bench: Agent Activity from a Data Access API into SQLite, written
the way a user would write it in an afternoon.

Lists the files created in [--start-ms, --end-ms) in one listing request, then for each file in
order: downloads it (requests, OAuth 1.0a HMAC-SHA1 through requests-oauthlib, one request at a
time), inflates it (zlib), parses each line (json: real files hold one document per line),
unwraps the Avro-JSON unions, and upserts its events with `executemany` into a table keyed like
lpda-sync's events table (the natural key, timestamp_ms first), with the file recorded as done in
the same transaction: one transaction per file. The database: WAL, synchronous=NORMAL, SQLite's
default page cache. A file already recorded as done is skipped, so a rerun resumes.

Runs on Debian's /usr/bin/python3 with python3-requests and python3-requests-oauthlib
(scripts/install-deps --bench).

Prints one line of JSON: files, events parsed, rows in the table, downloaded (gzip) bytes. With
--expect-rows N it exits 1 unless the table holds exactly N rows.

This file is the fixed yardstick that lpda-sync's figures are compared with: it is not edited
once committed.
"""
import argparse
import json
import sqlite3
import sys
import time
import zlib

import requests
from requests_oauthlib import OAuth1

EVENT_COLUMNS = (
    "account_id", "agent_session_id", "agent_id", "timestamp_ms", "type", "state", "prev_state",
    "prev_concurrent_eng", "concurrent_eng", "max_concurrent_eng", "agent_group_id",
    "agent_employee_id", "agent_username", "agent_nickname", "agent_loginname",
    "user_profile_ids", "source_file_key", "ingested_at_ms")
KEY_COLUMNS = ("timestamp_ms", "agent_id", "account_id", "agent_session_id", "type", "state",
               "prev_state", "prev_concurrent_eng", "concurrent_eng")

SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_activity_events (
  account_id          TEXT    NOT NULL,
  agent_session_id    TEXT    NOT NULL,
  agent_id            INTEGER NOT NULL,
  timestamp_ms        INTEGER NOT NULL,
  type                INTEGER NOT NULL,
  state               INTEGER NOT NULL,
  prev_state          INTEGER NOT NULL,
  prev_concurrent_eng INTEGER NOT NULL,
  concurrent_eng      INTEGER NOT NULL,
  max_concurrent_eng  INTEGER,
  agent_group_id      INTEGER,
  agent_employee_id   TEXT,
  agent_username      TEXT,
  agent_nickname      TEXT,
  agent_loginname     TEXT,
  user_profile_ids    TEXT,
  source_file_key     TEXT    NOT NULL,
  ingested_at_ms      INTEGER NOT NULL,
  PRIMARY KEY (%s)
);
CREATE TABLE IF NOT EXISTS files (
  name   TEXT PRIMARY KEY,
  events INTEGER NOT NULL,
  bytes  INTEGER NOT NULL
);
""" % ", ".join(KEY_COLUMNS)

UPSERT = "INSERT INTO agent_activity_events (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s" % (
    ", ".join(EVENT_COLUMNS), ", ".join("?" * len(EVENT_COLUMNS)), ", ".join(KEY_COLUMNS),
    ", ".join("%s = excluded.%s" % (c, c) for c in EVENT_COLUMNS if c not in KEY_COLUMNS))

# Avro's JSON encoding wraps a union's value in an object named by its branch: {"long": 5},
# {"string": "x"}, {"array": [...]}, {"com.liveperson.dataaccess.MetaData": {...}}; null is bare.
PRIMITIVE_BRANCHES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string",
                      "array", "map"}


def unwrap(value):
    if isinstance(value, dict) and len(value) == 1:
        (branch, inner), = value.items()
        if branch in PRIMITIVE_BRANCHES or "." in branch:
            return inner
    return value


def field(event, *names):
    for name in names:
        if name in event:
            return unwrap(event[name])
    return None


def text(value):
    return None if value is None else str(value)


def rows_of_file(data, name, now_ms):
    """Yields the event rows of one downloaded file (gzip, possibly several members)."""
    raw = b""
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        raw += d.decompress(data)
        data = d.unused_data.lstrip(b"\0")
    for line in raw.splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        meta = unwrap(doc.get("metaData")) or {}
        account = text(unwrap(meta.get("accountId")))
        for record in unwrap(doc.get("recordCollection")) or []:
            body = unwrap(record.get("body")) or {}
            header = unwrap(body.get("header")) or {}
            session = text(unwrap(header.get("agentSessionId")))
            for e in unwrap(body.get("agentSessionsData")) or []:
                profiles = field(e, "userProfileIDs")
                yield (account, session, field(e, "agentID"), field(e, "timestamp"),
                       field(e, "type"), field(e, "state"), field(e, "prevState"),
                       field(e, "prevConcurrentEng"), field(e, "concurrentEng"),
                       field(e, "maxConcurrentEng"), field(e, "agentGroupID"),
                       text(field(e, "agentEmployeeId")),
                       field(e, "agentUsername", "agentUserName"),
                       field(e, "agentNickname", "agentNickName"),
                       field(e, "agentLoginname", "agentLoginName"),
                       None if profiles is None else json.dumps(profiles),
                       name, now_ms)


def listing(session, auth, base_url, account, start_ms, end_ms):
    url = "%s/data_access_le/account/%s/le/agentActivity" % (base_url, account)
    r = session.get(url, params={"startTime": start_ms, "endTime": end_ms}, auth=auth)
    if r.status_code == 404 and "No Available Files" in r.text:
        return []
    r.raise_for_status()
    files = r.json()["dataAccessFiles"].get("file", [])
    return [files] if isinstance(files, dict) else files


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", required=True, help="scheme://host:port of the Data Access API")
    p.add_argument("--account", required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--start-ms", type=int, required=True, help="listing startTime (epoch ms)")
    p.add_argument("--end-ms", type=int, required=True, help="listing endTime (epoch ms)")
    p.add_argument("--app-key", default="emulator-app-key")
    p.add_argument("--app-secret", default="emulator-app-secret")
    p.add_argument("--access-token", default="emulator-access-token")
    p.add_argument("--access-token-secret", default="emulator-access-token-secret")
    p.add_argument("--expect-rows", type=int, help="exit 1 unless the table ends with N rows")
    a = p.parse_args()

    auth = OAuth1(a.app_key, a.app_secret, a.access_token, a.access_token_secret,
                  signature_method="HMAC-SHA1")
    db = sqlite3.connect(a.database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    done = {row[0] for row in db.execute("SELECT name FROM files")}

    session = requests.Session()
    files = events = downloaded = 0
    for f in listing(session, auth, a.base_url, a.account, a.start_ms, a.end_ms):
        name = f["@name"]
        if name in done:
            continue
        r = session.get(f["@href"], auth=auth)
        r.raise_for_status()
        rows = list(rows_of_file(r.content, name, int(time.time() * 1000)))
        db.execute("BEGIN IMMEDIATE")
        db.executemany(UPSERT, rows)
        db.execute("INSERT INTO files (name, events, bytes) VALUES (?, ?, ?)",
                   (name, len(rows), len(r.content)))
        db.execute("COMMIT")
        files += 1
        events += len(rows)
        downloaded += len(r.content)

    stored = db.execute("SELECT count(*) FROM agent_activity_events").fetchone()[0]
    db.close()
    print(json.dumps({"files": files, "events_parsed": events, "rows": stored,
                      "downloaded_bytes": downloaded}))
    if a.expect_rows is not None and stored != a.expect_rows:
        print("python_baseline: %d rows stored, %d expected" % (stored, a.expect_rows),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
