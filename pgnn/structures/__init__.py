"""Reading and checking crystal structures, and their symmetry analysis.

read_entries(path) -> (entries, skipped): records .json(.gz), folder of
CIF/POSCAR + CSV, extxyz, or one structure file. validate_structure / validate_target: checks that raise
StructureError / TargetError naming the entry. analyze_symmetry(structure) -> SymmetryInfo.
"""

from pgnn.structures.files import read_structure_file  # noqa: F401
from pgnn.structures.readers import read_entries, read_structure  # noqa: F401
from pgnn.structures.records import Entry  # noqa: F401
from pgnn.structures.symmetry import SymmetryInfo, analyze_symmetry, site_classes  # noqa: F401
from pgnn.structures.validate import validate_entries, validate_structure, validate_target  # noqa: F401
