
CREATE VIEW agent_state_intervals AS
SELECT account_id, agent_id, agent_session_id, state,
       CASE state WHEN 2 THEN 'online' WHEN 3 THEN 'back_soon' WHEN 4 THEN 'away'
                  WHEN 1 THEN 'offline' WHEN 0 THEN 'irrelevant' ELSE 'unknown' END AS state_name,
       start_ms, end_ms, end_ms - start_ms AS duration_ms
FROM (
  SELECT account_id, agent_id, agent_session_id, state, timestamp_ms AS start_ms,
         LEAD(timestamp_ms) OVER (
           PARTITION BY account_id, agent_session_id, agent_id
           ORDER BY timestamp_ms, prev_concurrent_eng, concurrent_eng, type, state, prev_state
         ) AS end_ms
  FROM agent_activity_events
)
WHERE end_ms IS NOT NULL;

CREATE VIEW agent_daily_availability AS
WITH RECURSIVE pieces (account_id, agent_id, state, day, piece_start_ms, end_ms) AS (
  SELECT account_id, agent_id, state, start_ms / 86400000, start_ms, end_ms
  FROM agent_state_intervals
  UNION ALL
  SELECT account_id, agent_id, state, day + 1, (day + 1) * 86400000, end_ms
  FROM pieces
  WHERE (day + 1) * 86400000 < end_ms
),
parts (account_id, agent_id, day, state, ms, chats) AS (
  SELECT account_id, agent_id, day, state,
         min(end_ms, (day + 1) * 86400000) - piece_start_ms, 0
  FROM pieces
  UNION ALL
  SELECT account_id, agent_id, timestamp_ms / 86400000, NULL, 0, 1
  FROM agent_activity_events
  WHERE type = 1 AND concurrent_eng > prev_concurrent_eng
)
SELECT account_id, agent_id,
       date(day * 86400, 'unixepoch') AS day_utc,
       day * 86400000 AS day_start_ms,
       sum(ms) AS logged_in_ms,
       sum(CASE WHEN state = 2 THEN ms ELSE 0 END) AS online_ms,
       sum(CASE WHEN state = 4 THEN ms ELSE 0 END) AS away_ms,
       sum(CASE WHEN state = 3 THEN ms ELSE 0 END) AS back_soon_ms,
       sum(chats) AS chats
FROM parts
GROUP BY account_id, agent_id, day;
