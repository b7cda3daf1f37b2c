#include "atelier/ui/remote_settings.h"

#include <QRegularExpression>
#include <QSettings>

namespace atelier::ui {

namespace {

QString keyFor(const QString& modelPath) {
    // Paths hold '/', which QSettings reads as groups: the key is the path, base64url encoded.
    return QStringLiteral("models/remote/") +
           QString::fromLatin1(modelPath.toUtf8().toBase64(QByteArray::Base64UrlEncoding |
                                                           QByteArray::OmitTrailingEquals));
}

}  // namespace

QStringList parseHostList(const QString& text) {
    QStringList hosts = text.split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts);
    hosts.removeDuplicates();
    return hosts;
}

agents::RemoteEndpoint RemoteSettings::endpoint() const {
    agents::RemoteEndpoint e;
    e.url = url.trimmed().toStdString();
    e.model = model.trimmed().toStdString();
    e.apiKey = apiKey.toStdString();
    return e;
}

agents::HostAllowlist RemoteSettings::allowlist() const {
    std::vector<std::string> hosts;
    for (const QString& h : allowedHosts) hosts.push_back(h.trimmed().toStdString());
    return agents::HostAllowlist(std::move(hosts));
}

Result<void> RemoteSettings::check() const {
    if (url.trimmed().isEmpty()) return unexpected(Error::usage("enter the endpoint's URL (http://host:port/v1)"));
    auto parsed = agents::parseHttpUrl(url.trimmed().toStdString());
    if (!parsed) return unexpected(parsed.error());
    if (!allowlist().allows(parsed->host))
        return unexpected(Error{ErrorCode::Denied,
                                "the host \"" + parsed->host + "\" is not in the allowed hosts" +
                                    (allowedHosts.isEmpty() ? " (none are allowed by default)" : "") +
                                    ": add it to Allowed hosts to let Atelier connect to it"});
    return {};
}

RemoteSettings RemoteSettings::loadFor(const QString& modelPath) {
    QSettings s;
    s.beginGroup(keyFor(modelPath));
    RemoteSettings r;
    r.enabled = s.value(QStringLiteral("enabled"), false).toBool();
    r.url = s.value(QStringLiteral("url")).toString();
    r.model = s.value(QStringLiteral("model")).toString();
    r.allowedHosts = s.value(QStringLiteral("allowedHosts")).toStringList();
    return r;
}

void RemoteSettings::saveFor(const QString& modelPath) const {
    QSettings s;
    s.beginGroup(keyFor(modelPath));
    s.setValue(QStringLiteral("enabled"), enabled);
    s.setValue(QStringLiteral("url"), url);
    s.setValue(QStringLiteral("model"), model);
    s.setValue(QStringLiteral("allowedHosts"), allowedHosts);
}

}  // namespace atelier::ui
