"""Interview season: practice questions (`data/interviews/*.yaml`), notes on answers, the interview log, the rank draft.

Build: ``bank = load_interview_bank(data_dir / "interviews")`` (done by ``bot.content.load_content``), then
``InterviewService(bank, InterviewRepository(conn), calendar)``. ``personal.InterviewData`` puts what a member keeps
into /mydata. The cog (``cogs/interviews.py``) calls the service only; nothing here imports discord.
"""
