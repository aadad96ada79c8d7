
ALTER TABLE checkpoints ADD COLUMN last_error TEXT;
ALTER TABLE checkpoints ADD COLUMN last_error_since_ms INTEGER;
