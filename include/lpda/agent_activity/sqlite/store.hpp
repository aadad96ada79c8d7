#pragma once
/// Agent Activity's part of the SQLite store: its tables and views (a schema component of its
/// own, docs/schema.md) and its writer, handed to `lpda::sqlite::database::open` by the
/// composition root.
#include "lpda/sqlite/data_type.hpp"

#include <cstddef>

namespace lpda::agent_activity::sqlite {

/// Settings of the writer.
struct writer_settings {
  /// Events gathered from the source before they are written as one run sorted by key (with
  /// one write per agent and per session of the run). A run ends at `sort_run_events` events or
  /// once its events hold `sort_run_bytes` bytes (objects plus their strings), whichever comes
  /// first: about 0.4 KiB per event of real files, so the byte bound matters only for files with
  /// long names. With the events clustered by session (schema migration 3) a file's sessions
  /// land at their own places whatever the run's size, and one decoder batch per run lets the
  /// store write while the next batches are decoded (`decode::limits::read_ahead_batches`):
  /// measured on the realistic benchmark, runs of 1,024 used 15 % less CPU than runs of 16,384
  /// and wrote as many bytes (docs/benchmarks.md).
  std::size_t sort_run_events = 1024;
  std::size_t sort_run_bytes = std::size_t{6} << 20;
};

/// The component "agentActivity": tables `agent_activity_events`, `agents`, `agent_sessions`
/// (migration 1), views `agent_state_intervals`, `agent_daily_availability` (migration 2), the
/// events clustered by session and `agent_sessions` indexed by last event (migration 3).
const lpda::sqlite::component& schema() noexcept;

/// Agent Activity for the SQLite store: `schema()` and a writer that takes the events of an
/// `lpda::event_source` batch by batch, upserts them on the natural key in runs sorted by key (a
/// repeated event updates only its attributes, and only when they differ), keeps `agents` at the
/// attributes of each agent's latest event and widens `agent_sessions`.
lpda::sqlite::data_type_store data_type(writer_settings s = {});

}  // namespace lpda::agent_activity::sqlite
