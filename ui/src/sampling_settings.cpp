#include "atelier/ui/sampling_settings.h"

#include <algorithm>

#include <QJsonDocument>
#include <QJsonObject>

namespace atelier::ui {
namespace {

QJsonObject settingsObject(const SamplingSettings& s) {
    QJsonObject o;
    o[QStringLiteral("temperature")] = s.temperature;
    o[QStringLiteral("top_p")] = s.topP;
    o[QStringLiteral("min_p")] = s.minP;
    o[QStringLiteral("max_tokens")] = s.maxTokens;
    // A seed is kept as text: JSON numbers lose integers above 2^53.
    o[QStringLiteral("seed")] = s.randomSeed ? QJsonValue() : QJsonValue(QString::number(s.seed));
    o[QStringLiteral("system_prompt")] = s.systemPrompt;
    return o;
}

QString compact(const QJsonObject& o) {
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

}  // namespace

QString SamplingSettings::toJson() const { return compact(settingsObject(*this)); }

SamplingSettings SamplingSettings::fromJson(const QString& json) {
    SamplingSettings s;
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    s.temperature = std::clamp(o.value(QStringLiteral("temperature")).toDouble(s.temperature), 0.0, 2.0);
    s.topP = std::clamp(o.value(QStringLiteral("top_p")).toDouble(s.topP), 0.01, 1.0);
    s.minP = std::clamp(o.value(QStringLiteral("min_p")).toDouble(s.minP), 0.0, 1.0);
    s.maxTokens = std::clamp(o.value(QStringLiteral("max_tokens")).toInt(s.maxTokens), 1, 1 << 20);
    const QJsonValue seed = o.value(QStringLiteral("seed"));
    bool ok = false;
    const quint64 fixed = seed.isString() ? seed.toString().toULongLong(&ok) : 0;
    s.randomSeed = !ok;
    s.seed = ok ? fixed : 0;
    s.systemPrompt = o.value(QStringLiteral("system_prompt")).toString();
    return s;
}

QString samplingRecord(const SamplingSettings& settings, quint64 usedSeed, const QString& model) {
    QJsonObject o = settingsObject(settings);
    o[QStringLiteral("seed")] = QString::number(usedSeed);
    o[QStringLiteral("random_seed")] = settings.randomSeed;
    o[QStringLiteral("model")] = model;
    return compact(o);
}

}  // namespace atelier::ui
