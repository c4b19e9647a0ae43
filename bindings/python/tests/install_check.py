"""Run by install_check.cmake against an installed tree: argv[1] is the prefix."""
import os
import sys

prefix = sys.argv[1]
import scope  # noqa: E402

pkg = os.path.dirname(scope.__file__)
assert pkg.startswith(prefix + "/"), "imported %s, not the installed package" % pkg
assert os.path.exists(os.path.join(pkg, "_install.py")), "install did not write _install.py"
from scope import _install  # noqa: E402

assert _install.LIBRARY == os.path.join(prefix, "lib", "libscope.so.0") or \
    _install.LIBRARY.startswith(prefix + "/"), _install.LIBRARY
# The library installed with the package wins over any libscope.so.0 the
# dynamic loader knows (e.g. an older install under /usr/local).
assert scope.library_path == _install.LIBRARY, scope.library_path
assert scope.version_number() >= 100
print("installed scope", scope.version(), "from", pkg, "library", scope.library_path)
