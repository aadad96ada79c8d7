#include "lpda/datatypes/registry.hpp"

#include "lpda/agent_activity/columns.hpp"
#include "lpda/agent_activity/decoder.hpp"
#include "lpda/decode/read_ahead.hpp"

#include <deque>
#include <stdexcept>

namespace lpda::datatypes {
namespace {

result<std::unique_ptr<record_source>> open_agent_activity(const std::filesystem::path& path,
                                                           const decode::limits& lim) {
  auto d = agent_activity::decoder::open_file(path, lim);
  if (!d) return d.error();
  if (lim.read_ahead_batches == 0) return std::unique_ptr<record_source>(std::move(*d));
  return std::unique_ptr<record_source>(
      std::make_unique<decode::read_ahead_source<agent_activity::event>>(std::move(*d),
                                                                         lim.read_ahead_batches));
}

std::deque<data_type>& types() {
  // A deque keeps the addresses `all` and `find` hand out when a type is added.
  static std::deque<data_type> list{
      data_type{"agentActivity", "events", &open_agent_activity, &agent_activity::write_text},
  };
  return list;
}

}  // namespace

std::vector<const data_type*> all() {
  std::vector<const data_type*> out;
  for (const auto& t : types()) out.push_back(&t);
  return out;
}

const data_type* find(std::string_view name) {
  for (const auto& t : types())
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string> known_names() {
  std::vector<std::string> out;
  for (const auto& t : types()) out.push_back(t.name);
  return out;
}

void add(data_type type) {
  if (type.name.empty() || !type.open_file || !type.write_text)
    throw std::invalid_argument("data type \"" + type.name + "\": a name and every function");
  if (find(type.name)) throw std::invalid_argument("data type \"" + type.name + "\" is known");
  types().push_back(std::move(type));
}

}  // namespace lpda::datatypes
