#pragma once
/// A data type's decoder: the document framing layer plus that type's `record_mapping`, pulled in
/// batches as a `typed_record_source<Record>`.
#include "lpda/core/error.hpp"
#include "lpda/core/record_source.hpp"
#include "lpda/decode/content.hpp"
#include "lpda/decode/document_reader.hpp"
#include "lpda/decode/record_mapping.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lpda::decode {

/// The figures of a decoder, whatever its record type.
class stats_reporter {
 public:
  virtual ~stats_reporter() = default;
  /// Figures so far (final once the decoder's `next_batch` returned false).
  virtual const decode_stats& stats() const = 0;
};

/// The figures of `source` when it is a decoder of this layer, else nullptr (one `dynamic_cast`).
inline const decode_stats* stats_of(const record_source& source) noexcept {
  const auto* r = dynamic_cast<const stats_reporter*>(&source);
  return r ? &r->stats() : nullptr;
}

/// Decodes one file into `Record`s, pulled in batches of at most `limits::batch_size`. Errors are
/// those of `document_reader` plus what the mapping refuses; they are final (the same error again
/// on every later call). Records of earlier batches were already handed out when an error comes:
/// a consumer that must not keep a partial file (the store) discards them, e.g. by rolling back
/// its transaction.
template <class Record>
class mapped_decoder : public typed_record_source<Record>, public stats_reporter {
 public:
  mapped_decoder(content_reader reader, limits lim,
                 std::unique_ptr<record_mapping_of<Record>> mapping)
      : mapping_(std::move(mapping)), reader_(std::move(reader), lim, *mapping_) {}

  /// Clears `out` and fills it with the next 1..batch_size records in file order: true when `out`
  /// holds records, false at the end (then `out` is empty), or an error.
  result<bool> read_batch(std::vector<Record>& out) override {
    out.clear();
    auto& ready = mapping_->ready();
    const std::size_t batch = reader_.batch_size();
    while (ready.size() < batch) {
      auto more = reader_.next_document();
      if (!more) {
        ready.clear();
        return more.error();
      }
      if (!*more) break;
    }
    const std::size_t n = std::min(batch, ready.size());
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(ready.front()));
      ready.pop_front();
    }
    reader_.count_records(n);
    return n > 0;
  }

  const decode_stats& stats() const override { return reader_.stats(); }

 private:
  std::unique_ptr<record_mapping_of<Record>> mapping_;
  document_reader reader_;
};

/// A decoder of the spool file at `path`; `errc::unreadable` (path and OS reason) if it cannot be
/// opened. Content errors come from `next_batch`.
template <class Record>
result<std::unique_ptr<mapped_decoder<Record>>> open_mapped_file(
    const std::filesystem::path& path, limits lim,
    std::unique_ptr<record_mapping_of<Record>> mapping) {
  auto reader = content_reader::open_file(path, lim.max_inflated_bytes);
  if (!reader) return reader.error();
  return std::make_unique<mapped_decoder<Record>>(std::move(*reader), lim, std::move(mapping));
}

}  // namespace lpda::decode
