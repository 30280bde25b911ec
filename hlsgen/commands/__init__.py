"""The subcommands of the command line: hlsgen/commands/<name>.py, each ``main(args) -> int``."""
