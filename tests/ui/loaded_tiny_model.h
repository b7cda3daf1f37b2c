#pragma once
// Test support for the server and remote-backend UI tests: writes the tiny random-weight model
// into a temporary folder and loads it into an EngineBridge on the CPU with one thread.

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/engine/model_config.h"
#include "atelier/engine/model_files.h"
#include "atelier/ui/engine_bridge.h"

namespace tiny_model {

// The model folder's path, or empty (with a test failure logged) when it cannot be written.
inline QString write(const QTemporaryDir& dir) {
    atelier::engine::CreateModelOptions options;
    options.config = *atelier::engine::presetConfig("tiny");
    options.seed = 3;
    const QString path = dir.path() + QStringLiteral("/tiny-served");
    if (auto r = atelier::engine::createModel(options, path.toStdString()); !r) {
        qWarning("createModel: %s", r.error().message.c_str());
        return {};
    }
    return path;
}

inline bool load(atelier::ui::EngineBridge& bridge, const QString& path) {
    QSignalSpy loaded(&bridge, &atelier::ui::EngineBridge::loaded);
    atelier::ui::LoadSettings settings;
    settings.threads = 1;
    settings.backend = QStringLiteral("cpu");
    settings.contextTokens = 1024;
    bridge.load(path, settings);
    return loaded.wait(20000) && bridge.isLoaded();
}

}  // namespace tiny_model
