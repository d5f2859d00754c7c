import pytest

# The checks live in harness.py: let pytest show both sides of a failed comparison there too.
pytest.register_assert_rewrite("tests.chaos.harness")
