#!/usr/bin/env bash
# trace installed the ways C++ users install it, each consumed by tests/packaging/consumer.cpp
# (which checks the headers' version and optional parts), with no network:
#   1. CMake: install to a prefix; pkg-config consumer; find_package consumer asking 0.2 with
#      the gzip and boost_json components; the source tree through add_subdirectory; an
#      incompatible major refused; tracectl and trace-server installed alone as component `tools`.
#   2. Conan 2: `conan create` with zlib and Boost.JSON options, running test_package/.
#   3. vcpkg, classic mode: the overlay port, consumer built with vcpkg's toolchain file;
#      manifest mode: the consumer's vcpkg.json installs the port.
#   4. Every version stated or reported agrees with CMake's project(VERSION).
# Conan and vcpkg are the offline copies in ../shared/tools (their READMEs). Building tracectl
# takes minutes, so it is built once: the README's build (preset dev) already has it, and the
# vcpkg `tools` feature is installed only with TRACE_PACKAGING_VCPKG_TOOLS=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib/apt.sh
apt_install cmake g++ ninja-build git pkg-config patchelf tar zlib1g-dev libboost-json1.81-dev \
  python3-fasteners python3-patch-ng python3-jinja2 python3-yaml python3-requests \
  python3-distro python3-dateutil python3-colorama python3-urllib3

repo=$PWD
tools=$(cd ../shared/tools && pwd)
version=$(sed -n 's/^ *VERSION \([0-9.]*\)$/\1/p' CMakeLists.txt | head -n 1)
major=${version%%.*}
minor_version=$(echo "$version" | cut -d. -f1-2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reported=()
part_start=$SECONDS
part() { echo "-- packaging: $* (previous part $((SECONDS - part_start)) s)"; part_start=$SECONDS; }

part "CMake install, pkg-config and find_package consumers"
cmake -S . -B "$work/build" -G Ninja -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_EXAMPLES=OFF \
  -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL=ON >/dev/null
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
test ! -e "$work/prefix/bin"  # programs only on request
export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
reported+=("pkg-config --modversion trace (CMake install)=$(pkg-config --modversion trace)")
# shellcheck disable=SC2046  # pkg-config's output is meant to be split into arguments
g++ -std=c++20 -o "$work/pc-consumer" tests/packaging/consumer.cpp $(pkg-config --cflags --libs trace) \
  -DEXPECTED_VERSION="\"$version\"" -DEXPECTED_GZIP=0 -DEXPECTED_BOOST_JSON=0
"$work/pc-consumer" >/dev/null
unset PKG_CONFIG_PATH
cmake -S tests/packaging -B "$work/cmake-consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DTRACE_REQUEST_VERSION="$minor_version" -DEXPECTED_VERSION="$version" \
  -DTRACE_COMPONENTS="gzip;boost_json" >/dev/null
cmake --build "$work/cmake-consumer" >/dev/null
"$work/cmake-consumer/trace_consumer" >/dev/null
# Vendored: the source tree added with add_subdirectory, as projects without a package manager do.
cmake -S tests/find-package -B "$work/subdir-consumer" -G Ninja -DTRACE_SOURCE_DIR="$repo" >/dev/null
cmake --build "$work/subdir-consumer" >/dev/null
"$work/subdir-consumer/consumer" >/dev/null
cat >"$work/refuse.cmake" <<EOF
find_package(trace $((major + 1)).0 CONFIG PATHS "$work/prefix" NO_DEFAULT_PATH)
if(trace_FOUND)
  message(FATAL_ERROR "find_package(trace $((major + 1)).0) accepted trace $version")
endif()
EOF
cmake -P "$work/refuse.cmake" >/dev/null 2>&1

part "CMake: tracectl and trace-server as install component tools"
tools_build=build/test  # the README's build
if [ -x "$tools_build/examples/tracectl/tracectl" ]; then
  cmake -S . -B "$tools_build" -DTRACE_INSTALL_TOOLS=ON >/dev/null  # adds the install rule only
else
  tools_build="$work/tools-build"
  cmake -S . -B "$tools_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRACE_BUILD_TESTS=OFF \
    -DTRACE_BUILD_EXAMPLES=OFF -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL_TOOLS=ON >/dev/null
fi
cmake --build "$tools_build" -j2 --target tracectl trace-server >/dev/null
cmake --install "$tools_build" --component tools --prefix "$work/tools-prefix" >/dev/null
[ "$(cd "$work/tools-prefix" && find . -type f | sort | tr '\n' ' ')" = "./bin/trace-server ./bin/tracectl " ]  # the programs, nothing else
"$work/tools-prefix/bin/trace-server" --help | grep -- --data-path >/dev/null
"$work/tools-prefix/bin/tracectl" import examples/tracectl/sample/shop.otlp.json --store "$work/spans" >/dev/null
"$work/tools-prefix/bin/tracectl" stats --store "$work/spans" --by service | grep payments >/dev/null

part "Conan: conan create with test_package"
export CONAN_HOME="$work/conan-home"
conan=("$tools/conan/conan")
"${conan[@]}" profile detect >/dev/null 2>&1
# test_package/ builds in place; the folder is removed so each run starts clean.
rm -rf test_package/build test_package/CMakeUserPresets.json
"${conan[@]}" create . -s compiler.cppstd=20 -o "trace/*:with_zlib=True" -o "trace/*:with_boost_json=True" \
  >"$work/conan.log" 2>&1 || { cat "$work/conan.log"; exit 1; }
grep -q "^trace $version (gzip on, Boost.JSON on)" "$work/conan.log"
rm -rf test_package/build test_package/CMakeUserPresets.json
reported+=("conan inspect version=$("${conan[@]}" inspect . --format=json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')")
unset CONAN_HOME

vcpkg_port=trace
[ "${TRACE_PACKAGING_VCPKG_TOOLS:-}" = 1 ] && vcpkg_port="trace[tools]"
part "vcpkg: classic mode, $vcpkg_port from the overlay port"
cp -a "$tools/vcpkg" "$work/vcpkg"
vcpkg="$work/vcpkg/run-vcpkg"
toolchain="$work/vcpkg/vcpkg-root/scripts/buildsystems/vcpkg.cmake"
# The port's source is this repository as a tarball beside the portfile (ports/trace/portfile.cmake).
cp -a ports "$work/overlay"
tar -czf "$work/overlay/trace/trace-$version.tar.gz" --transform "s,^,trace-$version/," \
  CMakeLists.txt LICENSE README.md cmake include examples/CMakeLists.txt examples/tracectl
"$vcpkg" install "$vcpkg_port" --overlay-ports="$work/overlay" >"$work/vcpkg.log" 2>&1 ||
  { cat "$work/vcpkg.log"; exit 1; }
installed="$work/vcpkg/vcpkg-root/installed/x64-linux"
reported+=("vcpkg list trace=$("$vcpkg" list trace | awk '$1 == "trace:x64-linux" { print $2 }')")
reported+=("pkg-config --modversion trace (vcpkg)=$(PKG_CONFIG_PATH="$installed/share/pkgconfig" pkg-config --modversion trace)")
if [ "$vcpkg_port" != trace ]; then
  "$installed/tools/trace/tracectl" import examples/tracectl/sample/shop.otlp.json --store "$work/vcpkg-spans" >/dev/null
  "$installed/tools/trace/tracectl" stats --store "$work/vcpkg-spans" --by service | grep payments >/dev/null
fi
cmake -S tests/packaging -B "$work/vcpkg-classic" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DVCPKG_MANIFEST_MODE=OFF -DTRACE_REQUEST_VERSION="$minor_version" -DEXPECTED_VERSION="$version" >/dev/null
cmake --build "$work/vcpkg-classic" >/dev/null
"$work/vcpkg-classic/trace_consumer" >/dev/null

part "vcpkg: manifest mode (tests/packaging/vcpkg.json)"
"$vcpkg" --exec cmake -S tests/packaging -B "$work/vcpkg-manifest" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DVCPKG_OVERLAY_PORTS="$work/overlay" \
  -DTRACE_REQUEST_VERSION="$minor_version" -DEXPECTED_VERSION="$version" >"$work/manifest.log" 2>&1 ||
  { cat "$work/manifest.log"; exit 1; }
test -f "$work/vcpkg-manifest/vcpkg_installed/x64-linux/include/trace/version.hpp"
cmake --build "$work/vcpkg-manifest" >/dev/null
"$work/vcpkg-manifest/trace_consumer" >/dev/null

part "every version agrees"
cmake -DSOURCE_DIR="$repo" -DBUILD_DIR="$work/build" -DREPORTED="$(IFS=';'; echo "${reported[*]}")" \
  -P cmake/check-version.cmake
part "done"
