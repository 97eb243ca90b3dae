"""The providers allauth's registry finds here (it imports ``<app>.provider`` of every installed app)."""

from xietong.signin.dingtalk.provider import DingTalkProvider
from xietong.signin.feishu.provider import FeishuProvider
from xietong.signin.wecom.provider import WeComProvider

provider_classes = [DingTalkProvider, FeishuProvider, WeComProvider]
