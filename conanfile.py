# Conan 2 recipe for trace (docs/PACKAGING.md). Header-only: one package serves every
# compiler and build type unless `with_tools` adds the command-line programs.
# Optional parts use the system's libraries (Debian: zlib1g-dev, libboost-json1.81-dev), so
# creating the package needs nothing from a remote.
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir
from conan.tools.system.package_manager import Apt

required_conan_version = ">=2.0"


class TraceConan(ConanFile):
    name = "trace"
    description = "Header-only C++20 tracing toolkit: spans, stores, trace trees, queries, analytics"
    license = "Apache-2.0"
    homepage = "https://github.com/trace-cpp/trace"
    url = homepage
    topics = ("tracing", "opentelemetry", "spans", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "with_zlib": [True, False],        # gzip request bodies (TRACE_WITH_ZLIB + zlib)
        "with_boost_json": [True, False],  # trace/io/boost_json.hpp (links boost_json)
        "with_tools": [True, False],       # build and package tracectl
        "with_server": [True, False],      # build and package trace-server
    }
    default_options = {
        "with_zlib": False,
        "with_boost_json": False,
        "with_tools": False,
        "with_server": False,
    }
    exports_sources = (
        "CMakeLists.txt", "LICENSE", "README.md", "cmake/*", "include/*",
        "examples/CMakeLists.txt", "examples/tracectl/CMakeLists.txt",
        "examples/tracectl/*.cpp", "examples/tracectl/*.hpp",
        "examples/trace-server/CMakeLists.txt", "examples/trace-server/*.cpp",
        "examples/trace-server/*.hpp",
    )
    no_copy_source = True

    def set_version(self):
        # The one version number is CMake's project(VERSION); the recipe reads it from there.
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(trace\s+VERSION\s+([0-9.]+)", cmakelists).group(1)

    def layout(self):
        cmake_layout(self)

    def validate(self):
        check_min_cppstd(self, 20)

    def system_requirements(self):
        # By default Conan only checks these are installed (tools.system.package_manager:mode).
        packages = []
        if self.options.with_zlib:
            packages.append("zlib1g-dev")
        if self.options.with_boost_json:
            packages.append("libboost-json1.81-dev")
        if self.options.with_server:
            packages.append("libboost1.81-dev")  # Beast and Asio, header-only
        if packages:
            Apt(self).install(packages)

    def _builds_programs(self, options=None):
        options = options or self.options
        return bool(options.with_tools or options.with_server)

    def package_id(self):
        # Headers are the same for everyone; only the programs depend on compiler and settings.
        # The optional parts change the flags consumers get, not the files in the package.
        if self._builds_programs(self.info.options):
            del self.info.options.with_zlib
            del self.info.options.with_boost_json
        else:
            self.info.clear()

    def generate(self):
        if not self._builds_programs():
            return
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables.update({
            "TRACE_BUILD_TESTS": False,
            "TRACE_BUILD_EXAMPLES": False,
            "TRACE_BUILD_BENCH": False,
            "TRACE_INSTALL": True,
            "TRACE_INSTALL_TOOLS": True,
            "TRACE_BUILD_SERVER": bool(self.options.with_server),
        })
        toolchain.generate()

    def build(self):
        if self._builds_programs():
            cmake = CMake(self)
            cmake.configure()
            cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        if self._builds_programs():
            CMake(self).install()
            # Conan's generators write their own CMake and pkg-config files for consumers,
            # and the licence is in licenses/.
            rmdir(self, os.path.join(self.package_folder, "share"))
        else:
            copy(self, "*.hpp", os.path.join(self.source_folder, "include"),
                 os.path.join(self.package_folder, "include"))

    def package_info(self):
        info = self.cpp_info
        info.set_property("cmake_file_name", "trace")
        info.set_property("cmake_target_name", "trace::trace")
        info.set_property("pkg_config_name", "trace")
        info.libdirs = []
        info.bindirs = ["bin"] if self._builds_programs() else []
        if self.settings.os in ("Linux", "FreeBSD"):
            info.system_libs.append("pthread")
        aliases = []
        if self.options.with_zlib:
            info.defines.append("TRACE_WITH_ZLIB")
            info.system_libs.append("z")
            aliases.append("trace::gzip")
        if self.options.with_boost_json:
            info.system_libs.append("boost_json")
            aliases.append("trace::boost_json")
        # The same target names as the CMake package's components (find_package COMPONENTS).
        info.set_property("cmake_target_aliases", aliases)
