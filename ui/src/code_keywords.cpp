#include "code_keywords.h"

#include <QStringList>

namespace atelier::ui {
namespace {

QSet<QString> words(const char* spaceSeparated) {
    const QStringList list = QString::fromLatin1(spaceSeparated).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    return QSet<QString>(list.begin(), list.end());
}

CodeKeywords make(CodeLanguage language) {
    switch (language) {
        case CodeLanguage::Cpp:
            return {words("alignas alignof auto break case catch class co_await co_return co_yield concept const "
                          "consteval constexpr constinit const_cast continue decltype default delete do "
                          "dynamic_cast else enum explicit export extern false for friend goto if inline "
                          "mutable namespace new noexcept nullptr operator override final private protected "
                          "public register reinterpret_cast requires return sizeof static static_assert "
                          "static_cast struct switch template this thread_local throw true try typedef typeid "
                          "typename union using virtual volatile while"),
                    words("bool char char8_t char16_t char32_t double float int long short signed unsigned "
                          "void wchar_t size_t ptrdiff_t int8_t int16_t int32_t int64_t uint8_t uint16_t "
                          "uint32_t uint64_t std string vector")};
        case CodeLanguage::Python:
            return {words("False None True and as assert async await break class continue def del elif else "
                          "except finally for from global if import in is lambda nonlocal not or pass raise "
                          "return try while with yield match case self"),
                    words("int float str bytes bool list dict set tuple object type")};
        case CodeLanguage::JavaScript:
            return {words("async await break case catch class const continue debugger default delete do else "
                          "export extends false finally for from function if import in instanceof let new null "
                          "of return super switch this throw true try typeof undefined var void while with "
                          "yield interface type enum implements declare readonly as keyof namespace abstract "
                          "private protected public static"),
                    words("string number boolean any unknown never object bigint symbol Array Promise Map Set")};
        case CodeLanguage::Json: return {words("true false null"), {}};
        case CodeLanguage::Shell:
            return {words("if then else elif fi for while until do done case esac in function return break "
                          "continue export local readonly declare set unset shift exit trap source"),
                    words("echo printf cd test read eval exec")};
        case CodeLanguage::Rust:
            return {words("as async await break const continue crate dyn else enum extern false fn for if impl "
                          "in let loop match mod move mut pub ref return self Self static struct super trait "
                          "true type unsafe use where while"),
                    words("i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str String "
                          "Vec Option Result Box Some None Ok Err")};
        case CodeLanguage::Go:
            return {words("break case chan const continue default defer else fallthrough for func go goto if "
                          "import interface map package range return select struct switch type var true false "
                          "nil iota"),
                    words("bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 "
                          "rune string uint uint8 uint16 uint32 uint64 uintptr any")};
        case CodeLanguage::None: break;
    }
    return {};
}

}  // namespace

const CodeKeywords& codeKeywords(CodeLanguage language) {
    // Built once per language on first use; read-only afterwards.
    static const CodeKeywords table[] = {make(CodeLanguage::None), make(CodeLanguage::Cpp), make(CodeLanguage::Python),
                                         make(CodeLanguage::JavaScript), make(CodeLanguage::Json),
                                         make(CodeLanguage::Shell), make(CodeLanguage::Rust), make(CodeLanguage::Go)};
    return table[static_cast<int>(language)];
}

}  // namespace atelier::ui
