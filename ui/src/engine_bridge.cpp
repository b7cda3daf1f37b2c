#include "atelier/ui/engine_bridge.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>
#include <QThread>

#include "atelier/agents/local_chat_backend.h"
#include "atelier/agents/model_plan.h"
#include "atelier/engine/checkpoint_prefix_store.h"
#include "atelier/engine/generation_service.h"
#include "atelier/base/log.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/engine/vocabulary.h"
#include "atelier/ui/backend_choice.h"
#include "document_text.h"
#include "engine_bridge_stream.h"

namespace atelier::ui {

namespace {
QString message(const Error& e) { return QString::fromStdString(e.message); }
}  // namespace

EngineBridge::EngineBridge(QObject* parent) : QObject(parent), m_workerState(std::make_shared<WorkerState>()) {
    qRegisterMetaType<ModelSummary>();
    qRegisterMetaType<GenerationStats>();
    qRegisterMetaType<agents::ModelPlan>();
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("engine-worker"));
    m_worker = new QObject;
    m_worker->moveToThread(m_thread);
    m_thread->start();
    m_planThread = new QThread(this);
    m_planThread->setObjectName(QStringLiteral("model-planner"));
    m_planner = new QObject;
    m_planner->moveToThread(m_planThread);
    m_planThread->start();
}

EngineBridge::~EngineBridge() {
    m_planThread->quit();
    m_planThread->wait();  // a probe under way finishes first (seconds at most)
    delete m_planner;
    m_thread->quit();
    m_thread->wait();  // a turn being started is held by its stream once this returns
    delete m_worker;   // drops the jobs still queued (and their references to the engine)
    // Each turn cancels and waits for its last event while this object is whole; those events
    // post to this object, and Qt discards them once it is gone.
    for (auto& s : m_streams) s->end();
    m_streams.clear();
    // The service (unless a team run or the local server still holds it) joins here.
    m_loadedModel = {};
    m_workerState.reset();
}

void EngineBridge::runOnWorker(std::function<void()> job) {
    QMetaObject::invokeMethod(m_worker, std::move(job), Qt::QueuedConnection);
}

void EngineBridge::inspect(const QString& path) {
    runOnWorker([this, path] {
        auto summary = inspectModel(path);
        QMetaObject::invokeMethod(this, [this, path, summary] {
            if (summary) emit inspected(*summary);
            else emit inspectFailed(path, message(summary.error()));
        }, Qt::QueuedConnection);
    });
}

void EngineBridge::plan(const QString& path, qint64 contextTokens, const QString& dataDir) {
    QMetaObject::invokeMethod(m_planner, [this, path, contextTokens, dataDir] {
        auto fail = [&](const QString& why) {
            QMetaObject::invokeMethod(this, [this, path, contextTokens, why] {
                emit planFailed(path, contextTokens, why);
            }, Qt::QueuedConnection);
        };
        auto source = engine::openModel(path.toStdString());
        if (!source) return fail(message(source.error()));
        agents::PlanRequest request;
        request.context = contextTokens;
        request.dataDir = dataDir.toStdString();
        auto plan = agents::planModel(**source, request);
        if (!plan) return fail(message(plan.error()));
        QMetaObject::invokeMethod(this, [this, path, contextTokens, p = *plan] {
            emit planned(path, contextTokens, p);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void EngineBridge::load(const QString& path, const LoadSettings& settings) {
    // The loaded model stays loaded (and answers) until the new one is ready: a load that fails
    // leaves it as it was (commitLoad replaces it).
    if (settings.remote.enabled) return loadRemote(path, settings.remote);
    // An unusable backend is refused before any file is read (as the CLI refuses it).
    auto options = modelOptionsFor(settings.backend, settings.threads);
    if (!options) {
        atelier::logger("ui")->error("model load refused: {}", options.error().message);
        QMetaObject::invokeMethod(this, [this, why = message(options.error())] { emit loadFailed(why); },
                                  Qt::QueuedConnection);
        return;
    }
    auto workerState = m_workerState;
    runOnWorker([this, workerState, path, settings, modelOptions = *options, kvDb = m_kvCacheDb,
                 kvPolicy = m_kvPolicy] {
        auto progress = [this](int percent, const QString& stage) {
            QMetaObject::invokeMethod(this, [this, percent, stage] { emit loadProgress(percent, stage); },
                                      Qt::QueuedConnection);
        };
        bool released = false;  // the previous model was let go to make room for this one
        auto fail = [this, &released](const QString& why) {
            QMetaObject::invokeMethod(this, [this, why, released] {
                if (released) dropLoaded();
                emit loadFailed(why);
            }, Qt::QueuedConnection);
        };
        // Everything that can be checked without reading the weights is checked while the
        // previous model still runs.
        progress(10, tr("Reading the tokenizer"));
        auto tokenizer = engine::Tokenizer::forModel(path.toStdString());
        if (!tokenizer) return fail(message(tokenizer.error()));
        progress(25, tr("Mapping and checking the weights"));
        auto weights = engine::openModel(path.toStdString());
        if (!weights) return fail(message(weights.error()));
        const ModelSummary s = describeModel(path, **weights);
        if (s.weightsMissing)
            return fail(tr("%1: the weights are missing (about %2 expected beside config.json)")
                            .arg(path, humanBytes(double(s.weightBytes))));
        // Both models at once only where the memory free allows it; otherwise the previous one
        // goes first (and a failure below leaves no model loaded, which loadFailed reports).
        const qint64 free = availableMemoryBytes();
        if (workerState->service && free > 0 && s.neededBytes(settings.contextTokens) > free) {
            progress(40, tr("Releasing the previous model to make room"));
            workerState->service.reset();
            workerState->tokenizer.reset();
            released = true;
            QMetaObject::invokeMethod(this, [this] { dropLoaded(); }, Qt::QueuedConnection);
        }
        progress(55, tr("Preparing the layers"));
        auto model = engine::Model::load(std::move(*weights), modelOptions);
        if (!model) return fail(message(model.error()));
        // The data folder's checkpoints as the second prefix cache (disk), under this model's
        // fingerprint. Chat works without it: a store that cannot open is logged, not fatal.
        progress(85, tr("Opening the checkpoint cache"));
        std::optional<engine::ModelFingerprint> fingerprint;
        if (auto fp = engine::modelPathFingerprint(path.toStdString(), (*model)->config(), (*model)->numerics()))
            fingerprint = *fp;
        else
            atelier::logger("ui")->warn("no checkpoint identity for {}: {}", path.toStdString(), fp.error().message);
        std::shared_ptr<engine::CheckpointPrefixStore> checkpoints;
        if (fingerprint && !kvDb.isEmpty()) {
            if (auto store = engine::CheckpointStore::open(kvDb.toStdString(), kvPolicy))
                checkpoints = std::make_shared<engine::CheckpointPrefixStore>(std::move(*store), *fingerprint,
                                                                              (*model)->newSequence());
            else
                atelier::logger("ui")->warn("checkpoint cache {} not used: {}", kvDb.toStdString(),
                                            store.error().message);
        }
        progress(90, tr("Starting the scheduler"));
        engine::GenerationOptions options;
        options.maxContext = settings.contextTokens;
        options.extraStore = checkpoints;
        workerState->service = std::make_shared<engine::GenerationService>(std::move(*model), options,
                                                                           *tokenizer);
        workerState->tokenizer = *tokenizer;
        const qint64 limit = workerState->service->contextLimit();
        atelier::logger("ui")->info("model loaded: {} (context {})", path.toStdString(), limit);
        // The window's chat and team runs take their turns through this backend, which shares
        // the service: a run that outlasts the next load keeps its model.
        auto backend = std::make_shared<agents::LocalChatBackend>(workerState->service, *tokenizer,
                                                                  s.name.toStdString());
        LoadedModel handle{std::move(backend), workerState->service,
                            std::make_shared<const engine::Tokenizer>(*tokenizer), fingerprint};
        QMetaObject::invokeMethod(this, [this, s, limit, handle] {
            commitLoad(handle, s, limit, std::nullopt);
        }, Qt::QueuedConnection);
    });
}

void EngineBridge::setCheckpointCache(const QString& kvCacheDb, const engine::CheckpointPolicy& policy) {
    m_kvCacheDb = kvCacheDb;
    m_kvPolicy = policy;
}

void EngineBridge::dropLoaded() {
    for (auto& s : m_streams) s->cancel();
    m_loaded = false;
    m_loadedModel = {};
    m_remote.reset();
}

void EngineBridge::commitLoad(const LoadedModel& handle, const ModelSummary& summary, qint64 contextLimit,
                              std::optional<RemoteSettings> remote) {
    dropLoaded();  // the previous model's turns end (cancelled); team runs holding it keep it
    m_loadedModel = handle;
    m_remote = std::move(remote);
    m_model = summary;
    m_contextLimit = contextLimit;
    m_loaded = true;
    emit loadProgress(100, tr("Ready"));
    emit loaded(summary);
}

void EngineBridge::createDemo(const QString& preset, const QString& outDir) {
    runOnWorker([this, preset, outDir] {
        auto fail = [this](const QString& why) {
            QMetaObject::invokeMethod(this, [this, why] { emit demoFailed(why); }, Qt::QueuedConnection);
        };
        auto config = engine::presetConfig(preset.toStdString());
        if (!config) return fail(message(config.error()));
        engine::CreateModelOptions options;
        options.config = *config;
        options.seed = 1;
        // As `atelier-cli model create` does: nothing is written where it cannot all fit.
        auto bytes = engine::estimateModelBytes(options, outDir.toStdString());
        if (!bytes) return fail(message(bytes.error()));
        const QStorageInfo disk(QFileInfo(outDir).absolutePath());
        if (disk.isValid() && quint64(disk.bytesAvailable()) < *bytes)
            return fail(tr("not enough disk space for %1: it needs %2 GB and %3 has %4 GB free")
                            .arg(outDir)
                            .arg(double(*bytes) / 1e9, 0, 'f', 1)
                            .arg(QFileInfo(outDir).absolutePath())
                            .arg(double(disk.bytesAvailable()) / 1e9, 0, 'f', 1));
        if (auto r = engine::createModel(options, outDir.toStdString()); !r)
            return fail(message(r.error()));
        QFile marker(QDir(outDir).filePath(QString::fromLatin1(kDemoMarkerFile)));
        if (!marker.open(QIODevice::WriteOnly))
            return fail(tr("%1: cannot write the demo marker").arg(marker.fileName()));
        marker.write("This model was created by Atelier with random weights (preset " +
                     preset.toUtf8() + "). It produces gibberish; it exists to try every feature.\n");
        marker.close();
        QMetaObject::invokeMethod(this, [this, outDir] { emit demoCreated(outDir); }, Qt::QueuedConnection);
    });
}

qint64 EngineBridge::tokenCount(WorkerState& e, const QString& text) {
    if (!e.tokenizer && !e.fallback) {
        auto t = engine::Tokenizer::fromVocabulary(engine::builtinVocabulary(4096));
        if (t) e.fallback = *t;
    }
    const auto& tok = e.tokenizer ? e.tokenizer : e.fallback;
    return tok ? qint64(tok->encodeContent(text.toStdString()).size()) : -1;
}

void EngineBridge::countTokens(const QString& key, const QString& text) {
    auto workerState = m_workerState;
    runOnWorker([this, workerState, key, text] {
        const qint64 n = tokenCount(*workerState, text);
        QMetaObject::invokeMethod(this, [this, key, n] { emit tokensCounted(key, n); },
                                  Qt::QueuedConnection);
    });
}

void EngineBridge::readDocument(const QString& path) {
    auto workerState = m_workerState;
    runOnWorker([this, workerState, path] {
        auto doc = documentText(path);
        if (!doc) {
            const QString why = message(doc.error());
            QMetaObject::invokeMethod(this, [this, path, why] { emit documentFailed(path, why); },
                                      Qt::QueuedConnection);
            return;
        }
        const qint64 n = tokenCount(*workerState, doc->text);
        QMetaObject::invokeMethod(this, [this, path, d = *doc, n] {
            emit documentRead(path, d.text, n, d.files, d.truncated);
        }, Qt::QueuedConnection);
    });
}

}  // namespace atelier::ui
