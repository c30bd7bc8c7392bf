import { byId, setMessage, show } from './dom';

export interface Credentials {
  username: string;
  password: string;
}

/** The sign-in view: the form to log in or register, and why the last session ended. */
export class LoginForm {
  private readonly view = byId('auth-view');
  private readonly form = byId<HTMLFormElement>('auth-form');
  private readonly username = byId<HTMLInputElement>('auth-username');
  private readonly password = byId<HTMLInputElement>('auth-password');
  private readonly login = byId<HTMLButtonElement>('auth-login');
  private readonly register = byId<HTMLButtonElement>('auth-register');
  private readonly message = byId('auth-message');
  private readonly signedOut = byId('signed-out');

  /** `submit` runs with `register` true for the Register button, false for Log in. */
  listen(submit: (register: boolean) => void): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(false);
    });
    this.register.addEventListener('click', () => submit(true));
  }

  show(visible: boolean): void {
    show(this.view, visible);
  }

  /** What was entered, or undefined (and a message saying so) when a field is empty. */
  credentials(): Credentials | undefined {
    const username = this.username.value.trim();
    const password = this.password.value;
    if (!username || !password) {
      setMessage(this.message, 'Enter a username and a password', 'error');
      return undefined;
    }
    return { username, password };
  }

  /** Disables the buttons while a sign-in is under way. */
  busy(register: boolean): void {
    this.login.disabled = true;
    this.register.disabled = true;
    setMessage(this.message, register ? 'Registering…' : 'Logging in…');
  }

  idle(): void {
    this.login.disabled = false;
    this.register.disabled = false;
  }

  succeeded(): void {
    this.password.value = '';
    setMessage(this.message, undefined);
    setMessage(this.signedOut, undefined);
  }

  failed(text: string): void {
    setMessage(this.message, text, 'error');
  }

  /** Says why the session ended, or hides the line without a reason. */
  showSignedOut(reason: string | undefined): void {
    setMessage(this.signedOut, reason ? `signed out: ${reason}` : undefined, 'error');
  }
}
