#pragma once
// RemoteSettings: a model run on an OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp's
// server, another Atelier's local server) instead of this computer: the URL, the model name to
// ask for, an optional API key and the host allowlist (the policy for outgoing connections,
// empty by default: the user adds the endpoint's host explicitly). Remembered per model path in
// QSettings ("models/remote/…") with the recent models; the API key is not written to disk.
// Value type; loadFor/saveFor on the GUI thread (QSettings).

#include <QString>
#include <QStringList>

#include "atelier/agents/remote_chat_backend.h"
#include "atelier/base/result.h"

namespace atelier::ui {

struct RemoteSettings {
    bool enabled = false;  // remembered choice: run this model remotely
    QString url;           // http(s)://host[:port][/v1]
    QString model;         // empty: the server's default
    QString apiKey;        // not saved
    QStringList allowedHosts;

    agents::RemoteEndpoint endpoint() const;
    agents::HostAllowlist allowlist() const;
    // Ok when the URL parses and its host is in the allowlist; the error says which and how to
    // fix it. Nothing is resolved or contacted.
    Result<void> check() const;

    static RemoteSettings loadFor(const QString& modelPath);
    void saveFor(const QString& modelPath) const;
};

// "a.example, 10.0.0.2 b" -> {"a.example", "10.0.0.2", "b"}
QStringList parseHostList(const QString& text);

}  // namespace atelier::ui
