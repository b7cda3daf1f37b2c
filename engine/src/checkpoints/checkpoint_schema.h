#pragma once
// The checkpoints database's schema and migrations (application_id "ATLK").

#include "atelier/engine/schema_migrations.h"

namespace atelier::engine::ckpt {

const Schema& checkpointSchema();
inline constexpr const char* kChunkTable = "checkpoint_chunks";

}  // namespace atelier::engine::ckpt
