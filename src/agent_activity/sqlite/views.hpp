#pragma once
// Private to agent_activity_sqlite: the availability views' definitions, shared by the schema
// (migration 2 creates them) and the report (which runs the same definitions over the sessions
// of the days it reports).
#include <string_view>

namespace lpda::agent_activity::sqlite::detail {

// The statements of migration 2: `CREATE VIEW agent_state_intervals …` then
// `CREATE VIEW agent_daily_availability …`, both reading `agent_activity_events`.
std::string_view availability_views_sql() noexcept;

}  // namespace lpda::agent_activity::sqlite::detail
