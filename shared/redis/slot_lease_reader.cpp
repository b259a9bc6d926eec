#include "shared/redis/slot_lease_reader.h"

#include "shared/redis/chunked_pipeline.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::redis {

Result<std::vector<bool>> SlotLeaseReader::held(const std::vector<CallSlot>& calls) {
  std::vector<bool> out;
  if (calls.empty()) return out;
  auto time = redis_.command({"TIME"});
  if (!time.ok()) return time.error();
  if (time->type != RedisReply::Type::Array || time->elements.size() != 2) {
    return Error{ErrorKind::Internal, "unexpected TIME reply", "slot leases"};
  }
  const int64_t redis_now_ms =
      fieldInt(time->elements[0].text) * 1000 + fieldInt(time->elements[1].text) / 1000;
  std::vector<std::vector<std::string>> reads;
  reads.reserve(calls.size());
  for (const auto& c : calls) reads.push_back({"ZSCORE", keys_.numberKey(c.number), c.call_id});
  auto scores = pipelineInChunks(redis_, reads);
  if (!scores.ok()) return scores.error();
  out.reserve(calls.size());
  for (const auto& score : *scores) {
    if (score.type == RedisReply::Type::Error) {
      return Error{ErrorKind::Internal, score.text, "slot leases"};
    }
    out.push_back(!score.isNil() && fieldInt(score.text) > redis_now_ms);
  }
  return out;
}

}  // namespace callmesh::redis
