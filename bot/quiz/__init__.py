"""Knowledge quizzes: the question bank (`data/quizzes/*.yaml`), solo and group sessions, scoring, stats.

Build at start-up: ``bank = load_question_bank(data_dir / "quizzes", set(entry ids))``, then
``QuizService(bank, QuizRepository(conn))``. The cog calls the service only; nothing here imports discord.
"""
