#pragma once
// ModelSummary: what the model dialog shows before loading — the config, the parameter count
// and the memory a load needs (weights + KV cache at the chosen context + the per-sequence
// state) against the memory the machine has free. inspectModel() maps the files (zero-copy) and
// reads no weights; call it off the GUI thread (EngineBridge does). Plain values: any thread.

#include <QMetaType>
#include <QString>
#include <QtGlobal>

#include "atelier/agents/model_plan.h"
#include "atelier/base/result.h"

namespace atelier::engine {
class WeightSource;
}

namespace atelier::ui {

struct ModelSummary {
    QString path;
    QString name;             // config name ("atelier-tiny", "deepseek-v4", ...)
    QString format;           // "hf" or "gguf"
    bool demo = false;        // random weights: "Create demo model", or `model create` (a preset's name)
    qint64 paramsTotal = 0;
    qint64 paramsActive = 0;  // per token
    int layers = 0;
    int experts = 0;
    int expertsActive = 0;
    qint64 vocabSize = 0;
    qint64 maxContext = 0;    // max_position_embeddings
    double kvBytesPerToken = 0;
    qint64 stateBytesPerSequence = 0;
    qint64 weightBytes = 0;   // the tensors as stored; when missing, the weights expected
    bool weightsMissing = false;  // a folder with config.json only: nothing to load

    // Weights + KV cache for `contextTokens` + one sequence's fixed state.
    qint64 neededBytes(qint64 contextTokens) const;
    // "demo — random weights" for demo models, else the config name; shown wherever the model is.
    QString displayName() const;
};

// The file a demo model folder carries so that it is labelled as such wherever it is opened.
inline constexpr const char* kDemoMarkerFile = "ATELIER-DEMO-RANDOM-WEIGHTS.txt";
inline constexpr const char* kDemoLabel = "demo — random weights";

// Opens `path` (HF folder, its config.json, or a .gguf file) and describes it.
Result<ModelSummary> inspectModel(const QString& path);
// Describes `source`, already opened from `path` (so a load opens the files once).
ModelSummary describeModel(const QString& path, const engine::WeightSource& source);

// MemAvailable from /proc/meminfo (bytes), or 0 when unknown.
qint64 availableMemoryBytes();

// "1.23 GB", "512 MB", "12.0 KB".
QString humanBytes(double bytes);
// "1.2B", "103M", "4.6K".
QString humanCount(double count);

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ModelSummary)
Q_DECLARE_METATYPE(atelier::agents::ModelPlan)
