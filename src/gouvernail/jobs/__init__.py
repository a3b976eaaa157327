"""Jobs: work that runs outside the HTTP request — imports, evaluation and canary runs, purges,
alert checks — on demand or on schedules, surviving restarts and shared by several workers."""
