#include "atelier/ui/tool_call_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace atelier::ui {

std::string toolCallsToJson(const QList<ToolCallView>& calls) {
    if (calls.isEmpty()) return {};
    QJsonArray array;
    for (const auto& c : calls)
        array.append(QJsonObject{{"type", "function"},
                                 {"function", QJsonObject{{"name", c.name}, {"arguments", c.arguments}}}});
    return QJsonDocument(array).toJson(QJsonDocument::Compact).toStdString();
}

QList<ToolCallView> toolCallsFromJson(const std::string& text) {
    QList<ToolCallView> calls;
    const auto array = QJsonDocument::fromJson(QByteArray::fromStdString(text)).array();
    for (const auto& v : array) {
        const QJsonObject call = v.toObject();
        const QJsonObject f = call.contains(QStringLiteral("function")) ? call.value(QStringLiteral("function")).toObject() : call;
        const QJsonValue args = f.value(QStringLiteral("arguments"));
        // Arguments are JSON text in both forms; an object is accepted too.
        const QString argText = args.isObject() ? QString::fromUtf8(QJsonDocument(args.toObject()).toJson(QJsonDocument::Compact))
                                                : args.toString();
        calls.append({f.value(QStringLiteral("name")).toString(), argText, {},
                      sourceLinksFromJson(call.value(QStringLiteral("sources")).toArray())});
    }
    return calls;
}

}  // namespace atelier::ui
