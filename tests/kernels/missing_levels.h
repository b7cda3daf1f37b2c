#pragma once
// For tests that loop over ISA levels inside one test function: a level the CPU lacks is
// noted while the present ones are checked, and the test then ends as a skip that names the
// missing levels, never as a silent pass.

#include <set>
#include <string>

#include <QtTest>

#include "atelier/kernels/cpu_features.h"

namespace atelier::kernels::test {

class MissingLevels {
public:
    // True when `level` runs here; otherwise remembers it for the skip message.
    bool runs(IsaLevel level) {
        if (isaSupported(level)) return true;
        m_names.insert(isaName(level));
        return false;
    }
    bool any() const { return !m_names.empty(); }
    QString message() const {
        QString s = "checked the levels this CPU has; not available here:";
        for (const auto& n : m_names) s += " " + QString::fromStdString(n);
        return s;
    }

private:
    std::set<std::string> m_names;
};

// For a levelCoverage_data(): one row per ISA level the level loops cover.
inline void addLevelRows() {
    QTest::addColumn<int>("level");
    for (IsaLevel l : {IsaLevel::Scalar, IsaLevel::Avx2, IsaLevel::Avx512})
        QTest::newRow(isaName(l).c_str()) << int(l);
}

}  // namespace atelier::kernels::test

// In a levelCoverage() test: reports the row's level as a skip by name when the CPU lacks it.
#define ATELIER_SKIP_ABSENT_LEVEL()                                                               \
    do {                                                                                          \
        QFETCH(int, level);                                                                       \
        const auto l = ::atelier::kernels::IsaLevel(level);                                       \
        if (!::atelier::kernels::isaSupported(l))                                                 \
            QSKIP(qPrintable(QString::fromStdString(::atelier::kernels::isaName(l)) +              \
                             " not available on this CPU: the level loops skip it"));             \
    } while (0)

// Ends the test as a skip naming the levels that could not run (after the others passed).
#define ATELIER_SKIP_MISSING_LEVELS(missing) \
    do {                                     \
        if ((missing).any()) QSKIP(qPrintable((missing).message())); \
    } while (0)
