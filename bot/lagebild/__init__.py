"""The anonymous local picture (Lagebild): weekly statistics, their suppression and the outputs.

- :mod:`bot.lagebild.keys`: which statistics exist and how a step or a case event becomes one
  (pure; used by the runtime and the handoff);
- :mod:`bot.lagebild.suppress`: primary and complementary suppression (pure);
- :mod:`bot.lagebild.tables`: the published tables of a period and region, protected together;
- :mod:`bot.lagebild.report`: the self-contained HTML report (matplotlib, imported lazily).
"""
