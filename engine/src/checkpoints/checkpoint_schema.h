#pragma once
// The checkpoints database's schema and migrations (application_id "ATLK").

#include "atelier/base/schema_migrations.h"

namespace atelier::engine::ckpt {

const base::Schema& checkpointSchema();
inline constexpr const char* kChunkTable = "checkpoint_chunks";

}  // namespace atelier::engine::ckpt
