#!/usr/bin/env python3
"""Print a Rust file nesting one construct N levels deep: `deep.py CONSTRUCT N`.
Used by bench/nesting.sh (stack cost per construct) and bench/scale.sh."""
import sys

def gen(kind, n):
    if kind == "blocks":
        return "fn f() " + "{" * n + "}" * n + "\n"
    if kind == "async":
        return "async fn f() {\n" + "async {" * n + "}" * n + ";\n}\n"
    if kind == "closures":
        return "fn f() {\n let c = " + "|| " * n + "0;\n}\n"
    if kind == "closures_params":
        return "fn f() {\n let c = " + "move |a, b| " * n + "0;\n}\n"
    if kind == "parens":
        return "fn f() {\n let x = " + "(" * n + "1" + ")" * n + ";\n}\n"
    if kind == "generics":
        return "type T = " + "Vec<" * n + "u8" + ">" * n + ";\n"
    if kind == "modules":
        return "mod m { " * n + "fn f() {}" + " }" * n + "\n"
    if kind == "chain":
        return "fn f(x: X) {\n x" + ".a()" * n + ";\n}\n"
    if kind == "fields":
        return "fn f(x: X) {\n let y = x" + ".a" * n + ";\n}\n"
    if kind == "binary":
        return "fn f() {\n let x = 1" + " + 1" * n + ";\n}\n"
    if kind == "unary":
        return "fn f(x: bool) {\n let y = " + "!" * n + "x;\n}\n"
    if kind == "refs":
        return "type T = " + "& " * n + "u8;\n"
    if kind == "else_if":
        return "fn f(a: bool) {\n if a {}" + " else if a {}" * n + "\n}\n"
    if kind == "assign":
        return "fn f() {\n let mut a = 0;\n " + "a = " * n + "1;\n}\n"
    if kind == "returns":
        return "fn f() {\n " + "return " * n + "1;\n}\n"
    if kind == "index":
        return "fn f(a: A) {\n let y = a" + "[0]" * n + ";\n}\n"
    if kind == "casts":
        return "fn f() {\n let y = 1" + " as u8" * n + ";\n}\n"
    if kind == "join":
        return "async fn f() {\n " + "futures::join!(" * n + "g()" + ")" * n + ";\n}\n"
    if kind == "arrays":
        return "fn f() {\n let x = " + "[" * n + "1" + "]" * n + ";\n}\n"
    if kind == "fn_types":
        return "type T = " + "fn() -> " * n + "u8;\n"
    if kind == "struct_lits":
        return "fn f() {\n let s = " + "S { a: " * n + "1" + " }" * n + ";\n}\n"
    if kind == "at_patterns":
        return "fn f(x: u8) {\n let " + "a @ " * n + "_ = x;\n}\n"
    if kind == "tuple_patterns":
        return "fn f(x: u8) {\n let " + "(" * n + "_" + ",)" * n + " = x;\n}\n"
    if kind == "ref_patterns":
        return "fn f(x: u8) {\n let " + "& " * n + "_ = x;\n}\n"
    if kind == "dyn":
        return "type T = " + "Box<dyn Fn() -> " * n + "u8" + ">" * n + ";\n"
    if kind == "impls":
        return "fn f() " + "-> impl Fn() " * n + "{}\n"
    raise SystemExit("unknown construct " + kind)

KINDS = ["blocks", "async", "closures", "closures_params", "parens", "generics", "modules",
         "chain", "fields", "binary", "unary", "refs", "else_if", "assign", "returns", "index",
         "casts", "join", "arrays", "fn_types", "struct_lits", "at_patterns", "tuple_patterns",
         "ref_patterns", "dyn", "impls"]

if __name__ == "__main__":
    if sys.argv[1] == "--list":
        print(" ".join(KINDS))
    else:
        sys.stdout.write(gen(sys.argv[1], int(sys.argv[2])))
