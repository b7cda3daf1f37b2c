#include "cli/llama_bench_compare.h"

#include <QFileInfo>
#include <QProcess>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace atelier::cli {
namespace {

// The last non-empty line of a process's error output, for a one-line message.
std::string lastLine(const QByteArray& text) {
    const QList<QByteArray> lines = text.trimmed().split('\n');
    return lines.isEmpty() ? std::string() : lines.last().trimmed().toStdString();
}

struct Measured {
    double tokS = 0;
    std::string buildCommit, error;
};

// One llama-bench run; the entry with n_prompt == prompt, n_gen == gen and n_depth == depth
// (a build without -d has no n_depth and cannot measure at depth).
Measured measure(const std::string& exe, const QStringList& args, std::int64_t prompt, std::int64_t gen,
                 std::int64_t depth) {
    QProcess p;
    p.setProgram(QString::fromStdString(exe));
    p.setArguments(args);
    p.start();
    const QString shown = QString::fromStdString(exe) + QLatin1Char(' ') + args.join(QLatin1Char(' '));
    if (!p.waitForStarted(-1)) return {0, {}, "llama-bench did not start: " + p.errorString().toStdString()};
    p.waitForFinished(-1);  // a long prefill takes as long as it takes; Ctrl-C stops both
    const QByteArray out = p.readAllStandardOutput(), err = p.readAllStandardError();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const std::string why = lastLine(err);
        return {0, {},
                "`" + shown.toStdString() + "` " +
                    (p.exitStatus() != QProcess::NormalExit ? std::string("crashed")
                                                            : "exited " + std::to_string(p.exitCode())) +
                    (why.empty() ? std::string() : ": " + why)};
    }
    nlohmann::json doc = nlohmann::json::parse(out.toStdString(), nullptr, false);
    if (!doc.is_array())
        return {0, {}, "`" + shown.toStdString() + "` printed no JSON array (it needs -o json)"};
    for (const auto& e : doc) {
        if (!e.is_object()) continue;
        const auto num = [&e](const char* k) { return e.contains(k) && e[k].is_number_integer() ? e[k].get<std::int64_t>() : -1; };
        const std::int64_t d = e.contains("n_depth") ? num("n_depth") : 0;
        if (num("n_prompt") != prompt || num("n_gen") != gen || d != depth) continue;
        if (!e.contains("avg_ts") || !e["avg_ts"].is_number())
            return {0, {}, "llama-bench's entry has no avg_ts"};
        Measured m;
        m.tokS = e["avg_ts"].get<double>();
        if (e.contains("build_commit") && e["build_commit"].is_string()) m.buildCommit = e["build_commit"].get<std::string>();
        return m;
    }
    return {0, {},
            "llama-bench reported no test with n_prompt " + std::to_string(prompt) + ", n_gen " +
                std::to_string(gen) + ", n_depth " + std::to_string(depth) +
                (depth > 0 ? " (a build older than its -d option cannot decode at depth)" : "")};
}

}  // namespace

bool isExecutableFile(const std::string& path) {
    const QFileInfo info(QString::fromStdString(path));
    return info.isFile() && info.isExecutable();
}

LlamaBenchRow runLlamaBench(const std::string& exe, const std::string& model, int threads,
                            std::int64_t context, int decodeTokens, int repetitions) {
    const QStringList common = {QStringLiteral("-m"), QString::fromStdString(model), QStringLiteral("-t"),
                                QString::number(threads), QStringLiteral("-r"), QString::number(repetitions),
                                QStringLiteral("-o"), QStringLiteral("json")};
    LlamaBenchRow row;
    const Measured pre = measure(exe, common + QStringList{QStringLiteral("-p"), QString::number(context),
                                                           QStringLiteral("-n"), QStringLiteral("0")},
                                 context, 0, 0);
    if (!pre.error.empty()) {
        row.error = pre.error;
        return row;
    }
    const Measured dec = measure(exe, common + QStringList{QStringLiteral("-p"), QStringLiteral("0"),
                                                           QStringLiteral("-n"), QString::number(decodeTokens),
                                                           QStringLiteral("-d"), QString::number(context)},
                                 0, decodeTokens, context);
    row.prefillTokS = pre.tokS;
    row.decodeTokS = dec.tokS;
    row.buildCommit = pre.buildCommit;
    row.error = dec.error;
    return row;
}

}  // namespace atelier::cli
