"""Page texts in Russian and English, chosen by the portal's LANG."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "app_name": {"ru": "Интеграция с 1С", "en": "1C integration"},
    "install_done_title": {"ru": "Приложение установлено", "en": "The app is installed"},
    "install_done_body": {
        "ru": "Вкладки «1С» добавлены в карточки сделок и компаний. Осталось подключить базу 1С в настройках.",
        "en": "The 1C tabs were added to deal and company cards. Next, connect a 1C base in the settings.",
    },
    "install_failed_title": {"ru": "Установка не завершена", "en": "Installation was not completed"},
    "install_failed_body": {
        "ru": "Портал не подтвердил установку. Попробуйте переустановить приложение; если ошибка повторится, "
              "сообщите администратору код ниже.",
        "en": "The portal did not confirm the installation. Try reinstalling the app; if it happens again, "
              "give your administrator the code below.",
    },
    "status_title": {"ru": "Состояние подключения", "en": "Connection status"},
    "status_active": {"ru": "Портал подключён, токены действительны", "en": "Portal connected, tokens valid"},
    "status_needs_reauth": {
        "ru": "Требуется переустановка: портал отозвал доступ приложения",
        "en": "Reinstall needed: the portal revoked the app's access",
    },
    "status_uninstalled": {"ru": "Приложение удалено с портала", "en": "The app was removed from the portal"},
    "token_valid_until": {"ru": "Токен доступа действителен до", "en": "Access token valid until"},
    "installed_at": {"ru": "Установлено", "en": "Installed"},
    "tab_not_ready_title": {"ru": "Данные 1С", "en": "1C data"},
    "tab_not_ready_body": {
        "ru": "Приложение подключено к порталу. Оплаты, долг и отгрузки из 1С появятся здесь, когда "
              "администратор подключит базу 1С в настройках приложения.",
        "en": "The app is connected to the portal. Payments, debt and shipments from 1C will appear here once "
              "an administrator connects a 1C base in the app's settings.",
    },
    "refused_title": {"ru": "Доступ запрещён", "en": "Access denied"},
    "refused_body": {
        "ru": "Запрос не прошёл проверку. Откройте страницу из карточки Битрикс24.",
        "en": "The request failed verification. Open this page from a Bitrix24 card.",
    },
}


def t(key: str, lang: str) -> str:
    entry = TEXTS[key]
    return entry.get(lang) or entry["en"]
