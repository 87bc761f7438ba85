# Builds and runs a small program against the created package with CMakeDeps, as a user's
# project would; the program checks the headers' version and optional parts against the recipe.
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class TraceTestPackage(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        trace = self.dependencies["trace"]
        cmake = CMake(self)
        cmake.configure(variables={
            "EXPECTED_VERSION": str(trace.ref.version),
            "EXPECTED_GZIP": bool(trace.options.with_zlib),
            "EXPECTED_BOOST_JSON": bool(trace.options.with_boost_json),
        })
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "trace_consumer"), env="conanrun")
