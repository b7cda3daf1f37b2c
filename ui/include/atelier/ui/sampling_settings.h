#pragma once
// SamplingSettings: how a chat session's replies are generated — temperature, top-p, min-p, the
// reply's token limit, the seed (a fresh random one per reply by default, so that Regenerate
// gives a different answer) and the system prompt. Stored per session in the session store as
// JSON text (agents::Session::sampling); each reply stores the settings it was made with, its
// actual seed included (samplingRecord), in agents::Message::sampling. Plain value.

#include <QMetaType>
#include <QString>
#include <QtGlobal>

namespace atelier::ui {

struct SamplingSettings {
    double temperature = 0.8;  // 0: greedy
    double topP = 1.0;         // 1: off
    double minP = 0.0;         // 0: off
    int maxTokens = 256;       // the reply's limit
    bool randomSeed = true;    // true: a new seed per reply; false: `seed` every time
    quint64 seed = 0;
    QString systemPrompt;      // "" none

    bool operator==(const SamplingSettings&) const = default;

    // Compact JSON text; fromJson("") and fromJson of text without a field give the defaults
    // for it, and out-of-range values are clamped to the ranges the panel offers.
    QString toJson() const;
    static SamplingSettings fromJson(const QString& json);
};

// The record stored with a reply: the settings and the seed it actually used, and the model.
QString samplingRecord(const SamplingSettings& settings, quint64 usedSeed, const QString& model);

}  // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::SamplingSettings)
