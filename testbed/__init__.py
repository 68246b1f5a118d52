"""What tests and benchmarks both drive the bot with: loopback servers (a Telegram Bot API
emulator, a throwaway Synapse), scripted users, the canary scanner and the notice accounting.

Neither a test nor a benchmark: tests/ and benchmarks/ import from here and from bot/, never from
each other (tests/test_tiers.py checks it); this package imports only bot/ and libraries.
"""
