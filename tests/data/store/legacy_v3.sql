
ALTER TABLE checkpoints ADD COLUMN server_time_ms INTEGER;
ALTER TABLE checkpoints ADD COLUMN clock_skew_ms INTEGER;
