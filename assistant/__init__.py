"""Answer questions over a news index with sentences quoted verbatim from the articles, each cited.

    from assistant import Assistant
    assistant = Assistant.load("my-index")
    answer = assistant.ask("Who won the election?")
"""

from assistant.api import Assistant
from assistant.chat import Conversation
from assistant.records import Answer, AnswerSentence, AskSettings, Citation, Filters, Hit

__all__ = ["Answer", "AnswerSentence", "AskSettings", "Assistant", "Citation", "Conversation", "Filters", "Hit"]
