import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

@Module({ providers: [PasswordHasher, TokenService], exports: [PasswordHasher, TokenService] })
export class AuthModule {}
