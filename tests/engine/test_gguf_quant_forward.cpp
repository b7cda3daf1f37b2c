// ctest-labels: slow
// Every `model create --weights` recipe (each ggml type with llama-quantize's fallbacks for the
// rank-32 inputs, and every mix): the file the quantizer writes runs in the fast forward within
// the activation rounding of the plain reference forward on the same stored weights
// (quant_forward_check.h). Slow: the lattice quantizers at -O0 under the sanitizers would take
// minutes, so test_gguf_quant keeps a few of these recipes for the sanitizer run.

#include <QtTest>

#include "atelier/engine/model_files.h"
#include "quant_forward_check.h"

using namespace atelier::engine;

class TestGgufQuantForward : public QObject {
    Q_OBJECT
private slots:
    void fastForwardTracksTheReferenceForEveryRecipe_data() {
        QTest::addColumn<int>("quant");
        for (const GgufQuantRecipe& r : ggufQuantRecipes())
            if (r.quant != GgufQuant::Q8_0 && r.quant != GgufQuant::Mxfp4 && r.quant != GgufQuant::F16)
                QTest::newRow(r.name) << int(r.quant);
    }
    void fastForwardTracksTheReferenceForEveryRecipe() {
        QFETCH(int, quant);
        ATELIER_VERIFY_FAST_TRACKS_REFERENCE(GgufQuant(quant));
    }
};

QTEST_APPLESS_MAIN(TestGgufQuantForward)
#include "test_gguf_quant_forward.moc"
