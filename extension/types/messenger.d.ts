/**
 * Thunderbird's `messenger.*`: what Firefox's typings (@types/firefox-webext-browser) lack,
 * as far as Panza uses it (webextension-api.thunderbird.net, Thunderbird 128+). Standalone,
 * so that the tests can use it next to Chrome's typings (both declare `browser`);
 * messenger-runtime.d.ts adds Firefox's runtime and tabs for the add-on itself.
 */
declare namespace messenger {
    /** A WebExtension event. */
    interface Event<T extends (...args: never[]) => unknown> {
        addListener(callback: T): void;
        removeListener(callback: T): void;
        hasListener(callback: T): boolean;
    }

    /** The part of tabs.Tab the compose events are used for. */
    interface Tab {
        id?: number;
    }
}

declare namespace messenger.compose {
    /** A recipient: an address string, or a reference to a contact or mailing list. */
    type ComposeRecipient = string | { id: string; type: "contact" | "mailingList" };
    type ComposeRecipientList = ComposeRecipient | ComposeRecipient[];

    interface ComposeDetails {
        type?: "new" | "reply" | "forward" | "draft" | "redirect" | "template";
        to?: ComposeRecipientList;
        subject?: string;
        body?: string;
        plainTextBody?: string;
        isPlainText?: boolean;
        relatedMessageId?: number | null;
    }

    interface SendInfo {
        mode: "sendNow" | "sendLater" | "draft" | "template";
        error?: string;
    }

    function getComposeDetails(tabId: number): Promise<ComposeDetails>;
    function setComposeDetails(tabId: number, details: ComposeDetails): Promise<void>;
    /** Sending waits for a listener that returns a promise; Panza's returns nothing. */
    const onBeforeSend: Event<(tab: Tab, details: ComposeDetails) => void>;
    const onAfterSend: Event<(tab: Tab, sendInfo: SendInfo) => void>;
}

declare namespace messenger.messages {
    interface MessageHeader {
        id: number;
        author: string;
        date: Date;
        subject: string;
    }

    /** A node of the MIME tree `getFull` returns. */
    interface MessagePart {
        contentType?: string;
        body?: string;
        name?: string;
        headers?: Record<string, string[]>;
        parts?: MessagePart[];
    }

    interface InlineTextPart {
        contentType: string;
        content: string;
    }

    function get(messageId: number): Promise<MessageHeader | null>;
    function getFull(messageId: number): Promise<MessagePart>;
    /** Thunderbird 128+; older versions lack it, so callers check for it. */
    const listInlineTextParts: ((messageId: number) => Promise<InlineTextPart[]>) | undefined;
}

/** The parts of `messenger` the add-on's background reads and writes mail through. */
type MailApi = {
    compose: Pick<typeof messenger.compose, "getComposeDetails" | "setComposeDetails">;
    messages: Pick<typeof messenger.messages, "get" | "getFull" | "listInlineTextParts">;
};
