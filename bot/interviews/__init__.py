"""Interview season: practice questions (`data/interviews/*.yaml`), notes on answers, the interview log, the rank draft,
and mock interview sessions in study groups.

Build: ``bank = load_interview_bank(data_dir / "interviews")`` (done by ``bot.content.load_content``), then
``InterviewService(bank, InterviewRepository(conn), calendar)``; for mock interviews
``MockInterviewService(MockRepository(conn), studygroups, bank)`` (``mock_service.py``, rules in ``mock.py``) and its
``MockTimers`` on the bot's scheduler (``mock_timers.py``). ``personal.InterviewData`` puts what a member keeps into
/mydata. The cogs (``cogs/interviews.py``, ``cogs/interviews_mock.py``) call the services only; nothing here imports
discord.
"""
