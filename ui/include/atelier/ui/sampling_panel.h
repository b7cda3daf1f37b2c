#pragma once
// SamplingPanel: the Generation dock — the session's sampling settings (temperature, top-p,
// min-p, max tokens, seed with "random" as default, system prompt). Edits emit
// settingsEdited(); setSettings() shows a session's settings without emitting. GUI thread only.

#include <QWidget>

#include "atelier/ui/sampling_settings.h"

class QCheckBox;
class QDoubleSpinBox;
class QPlainTextEdit;
class QSpinBox;
class QTimer;

namespace atelier::ui {

class SamplingPanel : public QWidget {
    Q_OBJECT
public:
    explicit SamplingPanel(QWidget* parent = nullptr);

    SamplingSettings settings() const;

public slots:
    void setSettings(const atelier::ui::SamplingSettings& settings);

signals:
    void settingsEdited(const atelier::ui::SamplingSettings& settings);

private:
    void edited();

    QDoubleSpinBox* m_temperature;
    QDoubleSpinBox* m_topP;
    QDoubleSpinBox* m_minP;
    QSpinBox* m_maxTokens;
    QCheckBox* m_randomSeed;
    QSpinBox* m_seed;
    QPlainTextEdit* m_system;
    QTimer* m_systemDebounce;  // the system prompt is stored once typing pauses
    bool m_showing = false;
};

}  // namespace atelier::ui
