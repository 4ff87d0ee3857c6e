#!/usr/bin/env bash
# Regenerates src/main/java/io/github/stn4j/internal/bindings/stn_h.java from native/include/stn.h.
# Needs jextract 22+ on PATH (https://jdk.java.net/jextract/); it is not installable on the CI machines, which is
# why the generated file is committed. BindingsMatchHeaderTest fails when the header and the binding disagree.
# The library is loaded by io.github.stn4j.internal.NativeLoader (System.load), so no --library is given: the
# binding resolves symbols through SymbolLookup.loaderLookup().
set -euo pipefail
cd "$(dirname "$0")/../.."
jextract \
  --target-package io.github.stn4j.internal.bindings \
  --header-class-name stn_h \
  --output src/main/java \
  -I native/include \
  @native/bindings/includes.txt \
  native/include/stn.h
