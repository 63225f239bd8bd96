"""sqitch: a plan file and its deploy/revert/verify scripts."""
