#include "atelier/ui/model_summary.h"

#include <QFileInfo>
#include <QDir>

#include "atelier/engine/model_config.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"

namespace atelier::ui {

qint64 ModelSummary::neededBytes(qint64 contextTokens) const {
    return weightBytes + qint64(kvBytesPerToken * double(contextTokens)) + stateBytesPerSequence;
}

QString ModelSummary::displayName() const {
    if (demo) return QStringLiteral("%1 (%2)").arg(name, QString::fromUtf8(kDemoLabel));
    return name;
}

Result<ModelSummary> inspectModel(const QString& path) {
    auto source = engine::openModel(path.toStdString());
    if (!source) return unexpected(source.error());
    return describeModel(path, **source);
}

ModelSummary describeModel(const QString& path, const engine::WeightSource& source) {
    const engine::ModelConfig& c = source.config();
    const auto sizes = engine::computeSizes(c);
    ModelSummary s;
    s.path = path;
    s.name = QString::fromStdString(c.name);
    s.format = source.format() == engine::ModelFormat::Gguf ? QStringLiteral("gguf") : QStringLiteral("hf");
    const QFileInfo info(path);
    const QDir folder = info.isDir() ? QDir(path) : info.dir();
    s.demo = folder.exists(QString::fromLatin1(kDemoMarkerFile)) ||
             QFileInfo::exists(path + QStringLiteral(".") + QString::fromLatin1(kDemoMarkerFile));
    // `atelier-cli model create` writes its presets' names into the file (config.json's
    // _name_or_path, GGUF's general.name), and only it writes them: random weights too.
    for (const std::string& preset : engine::presetNames())
        if (auto pc = engine::presetConfig(preset); pc && pc->name == c.name) s.demo = true;
    s.paramsTotal = sizes.paramsTotal;
    s.paramsActive = sizes.paramsActive;
    s.layers = c.nLayers;
    s.experts = c.nRoutedExperts;
    s.expertsActive = c.nActivatedExperts;
    s.vocabSize = c.vocabSize;
    s.maxContext = c.maxPositionEmbeddings;
    s.kvBytesPerToken = sizes.kvBytesPerToken;
    s.stateBytesPerSequence = sizes.stateBytesPerSequence;
    const engine::ModelFootprint fp = engine::modelFootprint(source);
    s.weightBytes = qint64(fp.weightBytesForLoad());
    s.weightsMissing = fp.weightsMissing;
    return s;
}

qint64 availableMemoryBytes() { return qint64(engine::availableMemoryBytes()); }

QString humanBytes(double bytes) {
    if (bytes >= 1e9) return QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', 2);
    if (bytes >= 1e6) return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
    if (bytes >= 1e3) return QStringLiteral("%1 KB").arg(bytes / 1e3, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(qint64(bytes));
}

QString humanCount(double n) {
    if (n >= 1e12) return QStringLiteral("%1T").arg(n / 1e12, 0, 'f', 2);
    if (n >= 1e9) return QStringLiteral("%1B").arg(n / 1e9, 0, 'f', 2);
    if (n >= 1e6) return QStringLiteral("%1M").arg(n / 1e6, 0, 'f', 1);
    if (n >= 1e3) return QStringLiteral("%1K").arg(n / 1e3, 0, 'f', 1);
    return QString::number(qint64(n));
}

}  // namespace atelier::ui
