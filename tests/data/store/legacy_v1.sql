
CREATE TABLE agent_activity_events (
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
  updated_at_ms       INTEGER,
  PRIMARY KEY (timestamp_ms, agent_id, account_id, agent_session_id, type, state, prev_state,
               prev_concurrent_eng, concurrent_eng)
) WITHOUT ROWID;

CREATE TABLE agents (
  account_id        TEXT    NOT NULL,
  agent_id          INTEGER NOT NULL,
  last_event_ms     INTEGER NOT NULL,
  agent_username    TEXT,
  agent_nickname    TEXT,
  agent_loginname   TEXT,
  agent_employee_id TEXT,
  agent_group_id    INTEGER,
  updated_at_ms     INTEGER NOT NULL,
  PRIMARY KEY (account_id, agent_id)
) WITHOUT ROWID;

CREATE TABLE agent_sessions (
  account_id       TEXT    NOT NULL,
  agent_session_id TEXT    NOT NULL,
  agent_id         INTEGER NOT NULL,
  first_event_ms   INTEGER NOT NULL,
  last_event_ms    INTEGER NOT NULL,
  login_ms         INTEGER,
  logout_ms        INTEGER,
  updated_at_ms    INTEGER NOT NULL,
  PRIMARY KEY (account_id, agent_session_id),
  FOREIGN KEY (account_id, agent_id) REFERENCES agents (account_id, agent_id)
) WITHOUT ROWID;

CREATE TABLE files (
  account_id      TEXT    NOT NULL,
  data_type       TEXT    NOT NULL,
  file_key        TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  href            TEXT    NOT NULL,
  part            INTEGER NOT NULL,
  scope_start_ms  INTEGER NOT NULL,
  scope_end_ms    INTEGER NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'quarantined')),
  bytes           INTEGER,
  events          INTEGER,
  events_inserted INTEGER,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error_code TEXT,
  last_error      TEXT,
  first_seen_ms   INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, data_type, file_key)
) WITHOUT ROWID;
CREATE INDEX files_by_status ON files (status, account_id, data_type);

CREATE TABLE checkpoints (
  account_id      TEXT    NOT NULL,
  data_type       TEXT    NOT NULL,
  watermark_ms    INTEGER,
  last_poll_ms    INTEGER,
  last_poll_ok    INTEGER,
  last_success_ms INTEGER,
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (account_id, data_type)
) WITHOUT ROWID;
