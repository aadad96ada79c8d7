#include "lpda/agent_activity/decoder.hpp"

#include "mapping.hpp"

namespace lpda::agent_activity {

decoder::decoder(decode::content_reader reader, decode::limits lim)
    : mapped_decoder(std::move(reader), lim, std::make_unique<detail::mapping>()) {}

result<std::unique_ptr<decoder>> decoder::open_file(const std::filesystem::path& path,
                                                    decode::limits lim) {
  auto reader = decode::content_reader::open_file(path, lim.max_inflated_bytes);
  if (!reader) return reader.error();
  return std::unique_ptr<decoder>(new decoder(std::move(*reader), lim));
}

std::unique_ptr<decoder> decoder::from_bytes(std::string bytes, decode::limits lim) {
  return std::unique_ptr<decoder>(
      new decoder(decode::content_reader::from_bytes(std::move(bytes), lim.max_inflated_bytes), lim));
}

}  // namespace lpda::agent_activity
