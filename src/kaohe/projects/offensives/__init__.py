"""Major tasks (攻坚战): the office sets an offensive up with its lead and cooperating units and
its milestones; the lead unit reports a milestone done with evidence and the office confirms or
returns the report. The confirmed dates feed the scheme's `milestones` method (`inputs`)."""
