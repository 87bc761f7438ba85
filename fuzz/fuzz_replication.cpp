// The replication stream as a replica reads it (include/trace/store/replication/tcp.hpp):
// frame after frame, a 24-byte header, its payload, the checksum, then the batch decoder for
// batch frames. Bad bytes are refused only with trace::error. Each payload also goes to the
// batch decoder whatever its checksum says, so that the fuzzer reaches the decoder without
// having to forge CRCs. A batch the decoder accepts encodes to bytes that decode to the
// same encoding again, and a frame re-encoded around it decodes whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "trace/store/replication/batch_codec.hpp"
#include "trace/store/replication/frame.hpp"

namespace {

namespace rep = trace::replication;

// Round trip of a batch the decoder accepted.
void check_batch(const std::vector<trace::span>& batch, std::uint64_t sequence) {
  const std::string once = rep::encode_batch(batch);
  const std::string twice = rep::encode_batch(rep::decode_batch(once, "fuzz re-encoded"));
  if (once != twice) std::abort();
  const rep::frame f = rep::decode_frame(rep::encode_frame(rep::frame_type::batch, sequence, once), "fuzz frame");
  if (f.type != rep::frame_type::batch || f.sequence != sequence || f.payload != once) std::abort();
}

void decode_payload(std::string_view payload, std::uint64_t sequence) {
  try {
    check_batch(rep::decode_batch(payload, "fuzz batch"), sequence);
  } catch (const trace::error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The whole input as one frame (tools and tests decode frames so).
  try {
    (void)rep::decode_frame(bytes, "fuzz input");
  } catch (const trace::error&) {
  }
  // The input as a stream of frames, read as the replica does.
  std::size_t at = 0;
  while (bytes.size() - at >= rep::frame_header_size) {
    const char* header = bytes.data() + at;
    rep::frame_header h{};
    try {
      h = rep::parse_frame_header(header, "fuzz stream at " + std::to_string(at));
    } catch (const trace::error&) {
      break;  // the replica drops the connection
    }
    const std::size_t available = bytes.size() - at - rep::frame_header_size;
    const std::string_view payload = bytes.substr(at + rep::frame_header_size, std::min<std::size_t>(h.length, available));
    if (h.type == rep::frame_type::batch) decode_payload(payload, h.sequence);
    if (h.length > available) break;  // closed inside a frame
    try {
      rep::check_frame(header, h, payload, "fuzz stream");
    } catch (const trace::error&) {
      break;
    }
    at += rep::frame_header_size + h.length;
  }
  return 0;
}
