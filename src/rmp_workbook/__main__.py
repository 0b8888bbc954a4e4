"""Run the command line: ``python -m rmp_workbook``."""

from rmp_workbook.cli import main

main()
